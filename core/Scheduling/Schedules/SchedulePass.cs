using System.Globalization;
using DurableWorkflow.Core.Configuration;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// The schedule half of the tick (rollout contract §9.2): drain one buffered action per schedule whose latest run has
/// closed, then fire due schedules oldest first. A gap is caught up by firing each overdue schedule once with its
/// stale <c>next_fire_at</c> as the occurrence (§9.6); the fire then recomputes from now.
/// </summary>
public sealed class SchedulePass(NpgsqlDataSource dataSource, ScheduleFirer firer, ServerSettings settings) : ISchedulerPass
{
    public const int Limit = 100;

    /// <summary>Selection rounds of one pass while a catch-up window is set: each round fires every due schedule once.</summary>
    public const int MaxCatchUpRounds = 120;

    public string Name => "schedules";

    public async Task<string> RunAsync(SchedulerFence fence, CancellationToken cancellationToken)
    {
        var drained = 0;
        foreach (var (id, _) in await SelectAsync(
            "SELECT id, NULL::timestamptz FROM workflow_schedules WHERE status = 'active' AND buffered_actions <> '[]'::jsonb ORDER BY id LIMIT $1",
            cancellationToken))
        {
            if ((await firer.FireAsync(new FireRequest(id, FireKind.Drain), fence, cancellationToken)).Started)
            {
                drained++;
            }
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var rounds = settings.ScheduleCatchUpWindowSeconds > 0 ? MaxCatchUpRounds : 1;
        for (var round = 0; round < rounds; round++)
        {
            var due = await SelectAsync(
                "SELECT id, next_fire_at FROM workflow_schedules WHERE status = 'active' AND next_fire_at <= now() ORDER BY next_fire_at, id LIMIT $1",
                cancellationToken);
            foreach (var (id, at) in due)
            {
                var result = await firer.FireAsync(new FireRequest(id, FireKind.Tick, at), fence, cancellationToken);
                counts[result.Outcome] = counts.GetValueOrDefault(result.Outcome) + 1;
            }

            if (due.Count == 0)
            {
                break;
            }
        }

        var summary = string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
        return string.Create(CultureInfo.InvariantCulture, $"drained {drained}{(summary.Length > 0 ? ", " + summary : string.Empty)}");
    }

    private async Task<List<(string Id, DateTimeOffset? Due)>> SelectAsync(string sql, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand(sql);
        select.Parameters.Add(new NpgsqlParameter { Value = Limit });
        var rows = new List<(string, DateTimeOffset?)>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return rows;
    }
}
