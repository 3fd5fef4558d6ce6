using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Bridge;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Retention;
using DurableWorkflow.Core.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Passes;

/// <summary>
/// History retention (rollout contract §9.10) as a scheduler pass over every namespace, its admin routes (control-plane
/// §10.5, scoped to the request's namespace) and the inline pass a worker heartbeat triggers. Pruning itself is
/// <see cref="RunPruner"/>; each run is pruned in its own transaction, fenced by the lease in the tick.
/// </summary>
public sealed class HistoryRetentionPass(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    BridgeEventStore bridgeEvents,
    ServerSettings settings,
    TimeProvider clock,
    ILogger<HistoryRetentionPass> logger)
    : ISchedulerPass
{
    /// <summary>Bridge idempotency keys forgotten per namespace per pass.</summary>
    public const int BridgeKeysPerPass = 500;

    /// <summary>The tick runs retention at most this often per node (the reference scheduler loop's cadence).</summary>
    public const int TickIntervalSeconds = 10;

    private long lastTickPassAt = long.MinValue;

    /// <summary>The inline heartbeat pass runs at most once per this many seconds per namespace, across nodes.</summary>
    public const int InlineIntervalSeconds = 60;

    public string Name => "history_retention";

    public async Task<string> RunAsync(SchedulerFence fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fence);
        var started = clock.GetTimestamp();
        if (lastTickPassAt != long.MinValue && clock.GetElapsedTime(lastTickPassAt, started) < TimeSpan.FromSeconds(TickIntervalSeconds))
        {
            return "not due";
        }

        var budget = RunPruner.MaxLimit;
        var pruned = 0;
        var bridgeKeys = 0;
        foreach (var ns in await NamespacesAsync(cancellationToken))
        {
            var days = await RunPruner.RetentionDaysAsync(dataSource, ns, settings.HistoryRetentionDays, cancellationToken);
            bridgeKeys += await bridgeEvents.PruneExpiredAsync(ns, days, BridgeKeysPerPass, cancellationToken);
            if (budget <= 0)
            {
                continue;
            }

            var (ids, _) = await RunPruner.ExpiredAsync(dataSource, ns, days, budget, cancellationToken);
            budget -= ids.Count;
            foreach (var id in ids)
            {
                if (await PruneOneAsync(ns, id, days, fence, cancellationToken) is { SkipReason: null })
                {
                    pruned++;
                }
            }
        }

        lastTickPassAt = started;
        return string.Create(CultureInfo.InvariantCulture, $"pruned {pruned}, bridge keys expired {bridgeKeys}");
    }

    /// <summary><c>GET /api/system/retention</c> for the request's namespace.</summary>
    public async Task<ApiResult<JsonObject>> StatusAsync(string ns, string? limitText, CancellationToken cancellationToken)
    {
        var limit = int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l >= 1 ? Math.Min(l, RunPruner.MaxLimit) : RunPruner.MaxLimit;
        var days = await RunPruner.RetentionDaysAsync(dataSource, ns, settings.HistoryRetentionDays, cancellationToken);
        var (ids, cutoff) = await RunPruner.ExpiredAsync(dataSource, ns, days, limit, cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["namespace"] = ns,
            ["retention_days"] = days,
            ["cutoff"] = cutoff.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["expired_run_count"] = ids.Count,
            ["expired_run_ids"] = new JsonArray([.. ids.Select(i => (JsonNode?)i)]),
            ["scan_limit"] = limit,
            ["scan_pressure"] = ids.Count >= limit,
        });
    }

    /// <summary><c>POST /api/system/retention/pass</c>: the listed runs, or up to <c>limit</c> expired ones; 207 when any failed.</summary>
    public async Task<ApiResult<JsonObject>> PassAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var limit = v.Integer("limit", min: 1, max: int.MaxValue) is { } l ? Math.Min(l, RunPruner.MaxLimit) : RunPruner.MaxLimit;
        var ids = SystemPassRequest.Ids(body, v, "run_ids");
        if (!v.IsValid)
        {
            return v.ToError();
        }

        var days = await RunPruner.RetentionDaysAsync(dataSource, ns, settings.HistoryRetentionDays, cancellationToken);
        ids ??= (await RunPruner.ExpiredAsync(dataSource, ns, days, limit, cancellationToken)).RunIds;
        var results = new JsonArray();
        int pruned = 0, skipped = 0, failed = 0;
        foreach (var id in ids)
        {
            try
            {
                var outcome = await PruneOneAsync(ns, id, days, null, cancellationToken);
                if (outcome.SkipReason is { } reason)
                {
                    skipped++;
                    results.Add(new JsonObject { ["run_id"] = id, ["outcome"] = "skipped", ["reason"] = reason });
                    continue;
                }

                pruned++;
                results.Add(new JsonObject
                {
                    ["run_id"] = id,
                    ["outcome"] = "pruned",
                    ["history_events_deleted"] = outcome.HistoryEventsDeleted,
                    ["tasks_deleted"] = outcome.TasksDeleted,
                    // Payloads stored externally are written and owned by the SDK's storage driver; the server holds references only.
                    ["external_payloads_deleted"] = 0,
                    ["deleted"] = true,
                });
            }
            catch (NpgsqlException ex)
            {
                failed++;
                PassLog.PruneFailed(logger, ex, id);
                results.Add(new JsonObject { ["run_id"] = id, ["outcome"] = "error", ["reason"] = ex.Message });
            }
        }

        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["processed"] = ids.Count,
            ["pruned"] = pruned,
            ["skipped"] = skipped,
            ["failed"] = failed,
            ["results"] = results,
        }, failed > 0 ? 207 : 200);
    }

    /// <summary>
    /// The inline pass of a worker heartbeat: at most once per <see cref="InlineIntervalSeconds"/> per namespace across
    /// every node (a row in <c>workflow_coordination_leases</c>, added atomically), pruning at most one run. Returns
    /// whether it pruned one.
    /// </summary>
    public async Task<bool> RunInlineAsync(string ns, CancellationToken cancellationToken)
    {
        if (!await CoordinationLeases.TryAddAsync(dataSource, InlineKey(ns), settings.ServerId, InlineIntervalSeconds, overwrite: false, cancellationToken))
        {
            return false;
        }

        var days = await RunPruner.RetentionDaysAsync(dataSource, ns, settings.HistoryRetentionDays, cancellationToken);
        var (ids, _) = await RunPruner.ExpiredAsync(dataSource, ns, days, 1, cancellationToken);
        return ids.Count == 1 && await PruneOneAsync(ns, ids[0], days, null, cancellationToken) is { SkipReason: null };
    }

    public static string InlineKey(string ns) => $"history-retention:inline:{ns}";

    private async Task<PruneOutcome> PruneOneAsync(string ns, string runId, int days, SchedulerFence? fence, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (fence is not null)
        {
            await fence.EnsureAsync(tx, cancellationToken);
        }

        var outcome = await RunPruner.PruneAsync(tx, ns, runId, days, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        if (outcome.SkipReason is null)
        {
            PassLog.RunPruned(logger, runId, ns, outcome.HistoryEventsDeleted, outcome.TasksDeleted);
        }

        return outcome;
    }

    private async Task<List<string>> NamespacesAsync(CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand("SELECT name FROM workflow_namespaces ORDER BY seq");
        var names = new List<string>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
