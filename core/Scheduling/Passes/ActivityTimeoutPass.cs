using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Passes;

/// <summary>
/// Activity-timeout enforcement as a scheduler pass (rollout contract §9.9) and its admin routes (control-plane §10.3).
/// Enforcement itself stays in <see cref="ActivityTimeoutEnforcer"/>; in the tick each enforcement is fenced by the lease.
/// </summary>
public sealed class ActivityTimeoutPass(NpgsqlDataSource dataSource, ActivityTimeoutEnforcer enforcer) : ISchedulerPass
{
    public const int MaxLimit = 100;

    public string Name => "activity_timeouts";

    public async Task<string> RunAsync(SchedulerFence fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fence);
        var enforced = 0;
        foreach (var id in await ExpiredAsync(MaxLimit, cancellationToken))
        {
            if (await enforcer.EnforceAsync(id, async (tx, token) =>
            {
                await fence.EnsureAsync(tx, token);
                return true;
            }, cancellationToken))
            {
                enforced++;
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"enforced {enforced}");
    }

    /// <summary><c>GET /api/system/activity-timeouts</c>: server-wide, not namespace-scoped.</summary>
    public async Task<JsonObject> StatusAsync(string? limitText, CancellationToken cancellationToken)
    {
        var limit = Limit(limitText);
        var ids = await ExpiredAsync(limit, cancellationToken);
        return new JsonObject
        {
            ["expired_count"] = ids.Count,
            ["expired_execution_ids"] = new JsonArray([.. ids.Select(i => (JsonNode?)i)]),
            ["scan_limit"] = limit,
            ["scan_pressure"] = ids.Count >= limit,
        };
    }

    /// <summary><c>POST /api/system/activity-timeouts/pass</c>: 207 when any enforcement failed.</summary>
    public async Task<ApiResult<JsonObject>> PassAsync(JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var limit = v.Integer("limit", min: 1, max: int.MaxValue) is { } l ? Math.Min(l, MaxLimit) : MaxLimit;
        var ids = SystemPassRequest.Ids(body, v, "execution_ids");
        if (!v.IsValid)
        {
            return v.ToError();
        }

        ids ??= await ExpiredAsync(limit, cancellationToken);
        var results = new JsonArray();
        int enforced = 0, skipped = 0, failed = 0;
        foreach (var id in ids)
        {
            try
            {
                var reason = await SkipReasonAsync(id, cancellationToken);
                if (reason is null && await enforcer.EnforceAsync(id, null, cancellationToken))
                {
                    enforced++;
                    results.Add(new JsonObject { ["execution_id"] = id, ["outcome"] = "enforced", ["has_retry"] = await HasRetryAsync(id, cancellationToken) });
                    continue;
                }

                skipped++;
                results.Add(new JsonObject { ["execution_id"] = id, ["outcome"] = "skipped", ["reason"] = reason ?? "no_deadline_expired" });
            }
            catch (NpgsqlException ex)
            {
                failed++;
                results.Add(new JsonObject { ["execution_id"] = id, ["outcome"] = "error", ["reason"] = ex.Message });
            }
        }

        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["processed"] = ids.Count,
            ["enforced"] = enforced,
            ["skipped"] = skipped,
            ["failed"] = failed,
            ["results"] = results,
        }, failed > 0 ? 207 : 200);
    }

    private async Task<string?> SkipReasonAsync(string id, CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand(
            """
            SELECT e.status IN ('pending', 'running'), e.timeout_due_at <= now(), r.status IN ('pending', 'running', 'waiting')
              FROM workflow_activity_executions e JOIN workflow_runs r ON r.id = e.run_id
             WHERE e.id = $1
            """);
        read.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return "execution_not_found";
        }

        return !reader.GetBoolean(0) ? "execution_already_terminal"
            : reader.IsDBNull(1) || !reader.GetBoolean(1) ? "no_deadline_expired"
            : !reader.GetBoolean(2) ? "run_already_terminal"
            : null;
    }

    private async Task<bool> HasRetryAsync(string id, CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand("SELECT status = 'pending' FROM workflow_activity_executions WHERE id = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = id });
        return await read.ExecuteScalarAsync(cancellationToken) is true;
    }

    private async Task<List<string>> ExpiredAsync(int limit, CancellationToken cancellationToken)
    {
        // timeout_due_at is generated from the four deadline predicates of §9.9, so its partial index answers exactly them.
        await using var find = dataSource.CreateCommand(
            "SELECT id FROM workflow_activity_executions WHERE timeout_due_at <= now() ORDER BY timeout_due_at, id LIMIT $1");
        find.Parameters.Add(new NpgsqlParameter { Value = limit });
        var ids = new List<string>();
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static int Limit(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit >= 1 ? Math.Min(limit, MaxLimit) : MaxLimit;
}
