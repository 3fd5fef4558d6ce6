using System.Globalization;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;
using Npgsql;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>Counts the report prints; every violation is also a line in the drill's violation list.</summary>
public sealed record DrillOutcome
{
    public int Acknowledged { get; init; }

    public int CompletedCorrectly { get; init; }

    public int Signals { get; init; }

    public int ProxiedRequests { get; init; }

    public IReadOnlyDictionary<string, int> NodeErrors { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, int> BalancerErrors { get; init; } = new Dictionary<string, int>();

    public string Schedule { get; init; } = string.Empty;

    public IReadOnlyDictionary<string, int> ClaimsByCohort { get; init; } = new Dictionary<string, int>();

    public int ClaimsAfterDrain { get; init; }
}

/// <summary>
/// The issue's assertions, read from the database (history, schedule history), HAProxy's request log and the
/// workers' claim logs after everything has stopped.
/// </summary>
public sealed class DrillChecks(DrillSettings settings, List<string> violations)
{
    public static async Task<long> OpenOrdersAsync(string connection, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM workflow_runs WHERE workflow_type = $1 AND status IN ('pending', 'running', 'waiting')", db);
        command.Parameters.Add(new NpgsqlParameter { Value = DrillWorker.OrderWorkflow });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<DrillOutcome> RunAsync(
        LoadClient? load,
        HaProxy? proxy,
        IReadOnlyList<(string WorkflowId, int Number)> acknowledged,
        IReadOnlyList<string> signalled,
        IReadOnlyList<(string Cohort, DateTimeOffset From, DateTimeOffset? Until)> drainWindows,
        DateTimeOffset scheduleCreatedAt,
        DateTimeOffset loadStoppedAt,
        CancellationToken ct)
    {
        foreach (var failure in load?.Failures ?? [])
        {
            violations.Add($"client request failed after retries: {failure}");
        }

        var (proxied, nodeErrors, balancerErrors) = ProxyLog(proxy);
        var completed = 0;
        var schedule = string.Empty;
        try
        {
            await using var db = new NpgsqlConnection(settings.Postgres);
            await db.OpenAsync(ct);
            completed = await OrdersAsync(db, acknowledged, signalled, ct);
            schedule = await ScheduleAsync(db, scheduleCreatedAt, loadStoppedAt, ct);
        }
        catch (NpgsqlException ex)
        {
            violations.Add($"database checks could not run: {ex.Message}");
        }

        var (claims, late) = Claims(drainWindows);
        return new DrillOutcome
        {
            Acknowledged = acknowledged.Count,
            CompletedCorrectly = completed,
            Signals = signalled.Count,
            ProxiedRequests = proxied,
            NodeErrors = nodeErrors,
            BalancerErrors = balancerErrors,
            Schedule = schedule,
            ClaimsByCohort = claims,
            ClaimsAfterDrain = late,
        };
    }

    /// <summary>
    /// A 5xx whose termination state is <c>--</c> came from a node HAProxy had routed the request to, i.e. one it
    /// considered ready: a violation. Errors HAProxy produced itself (no server left, backend connection reset) are
    /// counted separately; clients retry them.
    /// </summary>
    private (int Proxied, Dictionary<string, int> NodeErrors, Dictionary<string, int> BalancerErrors) ProxyLog(HaProxy? proxy)
    {
        var nodeErrors = new Dictionary<string, int>(StringComparer.Ordinal);
        var balancerErrors = new Dictionary<string, int>(StringComparer.Ordinal);
        if (proxy is null)
        {
            return (0, nodeErrors, balancerErrors);
        }

        var rows = proxy.ReadLog();
        foreach (var (server, status, termination, request) in rows)
        {
            if (status < 500 && termination.StartsWith('-'))
            {
                continue;
            }

            if (termination == "--" && status >= 500)
            {
                nodeErrors[server] = nodeErrors.GetValueOrDefault(server) + 1;
                violations.Add($"{server} answered {status} while in rotation: {request}");
            }
            else if (!termination.StartsWith('-') || status >= 500)
            {
                var key = $"{status} {termination}";
                balancerErrors[key] = balancerErrors.GetValueOrDefault(key) + 1;
            }
        }

        return (rows.Count, nodeErrors, balancerErrors);
    }

    /// <summary>Every acknowledged start: one run, completed, one WorkflowCompleted, one ActivityCompleted, one signal, the right result.</summary>
    private async Task<int> OrdersAsync(NpgsqlConnection db, IReadOnlyList<(string WorkflowId, int Number)> acknowledged, IReadOnlyList<string> signalled, CancellationToken ct)
    {
        var found = new Dictionary<string, List<(string Status, long Completed, long Activities, long Signals, string? Output)>>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            """
            SELECT r.workflow_instance_id, r.status,
                   count(*) FILTER (WHERE e.event_type = 'WorkflowCompleted'),
                   count(*) FILTER (WHERE e.event_type = 'ActivityCompleted'),
                   count(*) FILTER (WHERE e.event_type = 'SignalReceived'),
                   max(e.payload->>'output') FILTER (WHERE e.event_type = 'WorkflowCompleted')
              FROM workflow_runs r
              LEFT JOIN workflow_history_events e ON e.run_id = r.id
             WHERE r.workflow_type = $1
             GROUP BY r.id, r.workflow_instance_id, r.status
            """, db))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = DrillWorker.OrderWorkflow });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetString(0);
                if (!found.TryGetValue(id, out var runs))
                {
                    found[id] = runs = [];
                }

                runs.Add((reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }

        var signalledSet = signalled.ToHashSet(StringComparer.Ordinal);
        var correct = 0;
        foreach (var (id, number) in acknowledged)
        {
            if (!signalledSet.Contains(id))
            {
                continue;
            }

            if (!found.TryGetValue(id, out var runs) || runs.Count != 1)
            {
                violations.Add($"{id}: acknowledged start has {runs?.Count ?? 0} runs");
                continue;
            }

            var (status, completedEvents, activities, signals, output) = runs[0];
            var expected = new JsonArray(DrillWorker.ActivityResult(new JsonArray(number)), $"sig-{id}").ToJsonString();
            var actual = output is null ? null : Payloads.Decode(JsonValue.Create(output))?.ToJsonString();
            if (status != "completed" || completedEvents != 1 || activities != 1 || signals != 1 || actual != expected)
            {
                violations.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{id}: status {status}, WorkflowCompleted x{completedEvents}, ActivityCompleted x{activities}, SignalReceived x{signals}, result {actual ?? "none"} (expected {expected})"));
                continue;
            }

            correct++;
        }

        foreach (var (id, _) in acknowledged.Where(a => !signalledSet.Contains(a.WorkflowId)))
        {
            violations.Add($"{id}: started but its signal was never acknowledged");
        }

        return correct;
    }

    /// <summary>Every whole-second occurrence from 3 s after creation to 3 s before the load stopped fired exactly once.</summary>
    private async Task<string> ScheduleAsync(NpgsqlConnection db, DateTimeOffset createdAt, DateTimeOffset stoppedAt, CancellationToken ct)
    {
        if (createdAt == default)
        {
            violations.Add("schedule: never created");
            return "not created";
        }

        var from = DateTimeOffset.FromUnixTimeSeconds(createdAt.ToUnixTimeSeconds() + 3);
        var to = DateTimeOffset.FromUnixTimeSeconds(stoppedAt.ToUnixTimeSeconds() - 3);
        var fires = new Dictionary<long, int>();
        var maxLag = 0.0;
        await using (var command = new NpgsqlCommand(
            """
            SELECT occurrence_time, extract(epoch FROM recorded_at - occurrence_time)::float8, workflow_run_id
              FROM workflow_schedule_history
             WHERE schedule_id = $1 AND event_type = 'ScheduleTriggered' AND occurrence_time BETWEEN $2 AND $3
            """, db))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Drill.ScheduleId });
            command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var second = new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero).ToUnixTimeSeconds();
                fires[second] = fires.GetValueOrDefault(second) + 1;
                maxLag = Math.Max(maxLag, reader.GetDouble(1));
            }
        }

        var expected = (int)(to.ToUnixTimeSeconds() - from.ToUnixTimeSeconds() + 1);
        var missed = 0;
        var duplicated = 0;
        for (var second = from.ToUnixTimeSeconds(); second <= to.ToUnixTimeSeconds(); second++)
        {
            var count = fires.GetValueOrDefault(second);
            if (count == 0)
            {
                missed++;
            }
            else if (count > 1)
            {
                duplicated++;
            }
        }

        if (expected <= 0 || missed > 0 || duplicated > 0)
        {
            violations.Add($"schedule: {expected} occurrences in the window, {missed} missed, {duplicated} fired more than once");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{expected} occurrences {from:HH:mm:ss}-{to:HH:mm:ss}: {fires.Values.Sum()} fires, {missed} missed, {duplicated} duplicated, max fire lag {maxLag:F1} s");
    }

    /// <summary>A claim the server made after the drain of the worker's cohort was acknowledged (and before any resume).</summary>
    private (Dictionary<string, int> ByCohort, int Late) Claims(IReadOnlyList<(string Cohort, DateTimeOffset From, DateTimeOffset? Until)> windows)
    {
        var byCohort = new Dictionary<string, int>(StringComparer.Ordinal);
        var late = 0;
        foreach (var file in Directory.GetFiles(settings.StateDirectory, "claims-*.log"))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var parts = line.Split(' ');
                if (parts.Length < 6)
                {
                    continue;
                }

                var cohort = parts[0];
                byCohort[cohort] = byCohort.GetValueOrDefault(cohort) + 1;
                var claimedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[4], CultureInfo.InvariantCulture));
                if (windows.Any(w => w.Cohort == cohort && claimedAt > w.From && (w.Until is null || claimedAt < w.Until)))
                {
                    late++;
                    violations.Add($"{parts[1]} ({cohort}) claimed {parts[2]} task {parts[3]} at {claimedAt:HH:mm:ss.fff}, after its cohort's drain");
                }
            }
        }

        return (byCohort, late);
    }
}
