using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workflows;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// The trigger algorithm of one occurrence (rollout contract §9.3–9.4): one transaction that holds the schedule row
/// lock, re-checks due-ness, applies the overlap policy, starts the run through <see cref="WorkflowStartService"/> and
/// records the fire. The run and the fire record commit together, and a fenced fire first proves the scheduler lease,
/// so each occurrence starts at most one run whatever the number of schedulers.
/// </summary>
public sealed class ScheduleFirer(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    WorkflowStartService starts,
    WorkflowCommandService commands,
    IScheduleStartGate gate,
    ServerSettings settings,
    ILogger<ScheduleFirer> logger)
{
    public const int RecentActionsKept = 10;

    public static readonly string[] OverlapPolicies = ["skip", "buffer_one", "buffer_all", "allow_all", "cancel_other", "terminate_other"];

    public async Task<FireResult> FireAsync(FireRequest request, SchedulerFence? fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await AttemptAsync(request, fence, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or JsonException)
        {
            SchedulerLog.FireFailed(logger, ex, request.ScheduleRef, request.Occurrence);
            return await RecordFailureAsync(request, fence, ex.Message, cancellationToken);
        }
    }

    private async Task<FireResult> AttemptAsync(FireRequest request, SchedulerFence? fence, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (fence is not null)
        {
            await fence.EnsureAsync(tx, cancellationToken);
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        if (await ScheduleStore.LockByRefAsync(tx, request.ScheduleRef, cancellationToken) is not { } row)
        {
            return FireResult.NotDue;
        }

        var occurrence = request.Occurrence;
        switch (request.Kind)
        {
            // Re-checked under the lock: a concurrent fire of the same occurrence has moved next_fire_at already.
            case FireKind.Tick when row.Status != "active" || row.NextFireAt is not { } due || due != request.Occurrence || due > now:
                return FireResult.NotDue;
            case FireKind.Drain when row.Status != "active" || row.BufferedActions.Count == 0
                || await ScheduleStore.IsInstanceOpenAsync(tx, row.LatestWorkflowInstanceId, cancellationToken):
                return FireResult.NotDue;
            case FireKind.Drain:
                occurrence = ParseTime(row.BufferedActions[0]?["occurrence_time"]);
                break;
        }

        var spec = ScheduleSpec.FromStored(row.Spec.ToJsonString());
        var advance = request.Kind == FireKind.Tick;
        var nextAfter = advance ? CatchUpFrom(spec, occurrence, now) : now;
        if (row.Status != "active")
        {
            return await SkipAsync(tx, row, spec, now, nextAfter, occurrence, "status_not_triggerable", advance, cancellationToken);
        }

        if (row.RemainingActions is <= 0)
        {
            return await SkipAsync(tx, row, spec, now, nextAfter, occurrence, "remaining_actions_exhausted", advance, cancellationToken);
        }

        var policy = request.OverlapOverride ?? row.OverlapPolicy;
        if (request.Kind == FireKind.Backfill && policy is "buffer_one" or "buffer_all")
        {
            policy = "allow_all";
        }

        if (request.Kind != FireKind.Drain && await ScheduleStore.IsInstanceOpenAsync(tx, row.LatestWorkflowInstanceId, cancellationToken))
        {
            switch (policy)
            {
                case "buffer_one" when row.BufferedActions.Count >= 1:
                    return await SkipAsync(tx, row, spec, now, nextAfter, occurrence, "buffer_full", advance, cancellationToken) with { Outcome = "buffer_full" };
                case "buffer_one" or "buffer_all":
                    return await BufferAsync(tx, row, spec, now, nextAfter, occurrence, advance, cancellationToken);
                case "cancel_other" or "terminate_other":
                    await CloseLatestAsync(row, policy, cancellationToken);
                    break;
                case "allow_all":
                    break;
                default:
                    return await SkipAsync(tx, row, spec, now, nextAfter, occurrence, $"overlap_policy_{policy}", advance, cancellationToken);
            }
        }

        if (await gate.RefusalAsync(row.Namespace, row.Action, cancellationToken) is { } refusal)
        {
            return await SkipAsync(tx, row, spec, now, nextAfter, occurrence, refusal, advance, cancellationToken);
        }

        using var body = JsonDocument.Parse(StartBody(row).ToJsonString());
        var started = await starts.StartWithinAsync(tx, row.Namespace, body.RootElement, cancellationToken);
        if (started.Error is { } error)
        {
            // The action no longer starts (e.g. a merged update made it invalid): a failure, never a hot retry loop.
            await tx.DisposeAsync();
            return await RecordFailureAsync(request, fence, error.Message, cancellationToken);
        }

        var outcome = request.Kind switch { FireKind.Drain => "drained", FireKind.Backfill => "backfilled", _ => "triggered" };
        var result = await RecordStartAsync(tx, row, spec, now, nextAfter, occurrence, policy, outcome, request.Kind == FireKind.Drain, started.Value!, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        SchedulerLog.Fired(logger, row.Namespace, row.ScheduleId, occurrence, result.WorkflowId!);
        return result;
    }

    private static JsonObject StartBody(ScheduleRow row)
    {
        var body = new JsonObject { ["workflow_type"] = row.Action["workflow_type"]?.DeepClone() };
        foreach (var key in new[] { "task_queue", "input", "execution_timeout_seconds", "run_timeout_seconds" })
        {
            if (row.Action[key] is { } value)
            {
                body[key] = value.DeepClone();
            }
        }

        if (row.Memo is { Count: > 0 } memo)
        {
            body["memo"] = memo.DeepClone();
        }

        if (row.SearchAttributes is { Count: > 0 } attributes)
        {
            body["search_attributes"] = attributes.DeepClone();
        }

        return body;
    }

    private async Task CloseLatestAsync(ScheduleRow row, string policy, CancellationToken cancellationToken)
    {
        using var reason = JsonDocument.Parse($$"""{"reason":"Schedule [{{JsonEncodedText.Encode(row.ScheduleId)}}] overlap policy {{policy}}."}""");
        var target = new CommandTarget(row.LatestWorkflowInstanceId!);
        // Best effort (§9.3 step 6): a run that closed meanwhile answers an error, and the start proceeds either way.
        var result = policy == "cancel_other"
            ? await commands.CancelAsync(row.Namespace, target, reason.RootElement, cancellationToken)
            : await commands.TerminateAsync(row.Namespace, target, reason.RootElement, cancellationToken);
        if (result.Error is { } error)
        {
            SchedulerLog.CloseOtherRefused(logger, row.ScheduleId, policy, error.Reason);
        }
    }

    private static async Task<FireResult> RecordStartAsync(
        EngineTransaction tx, ScheduleRow row, ScheduleSpec spec, DateTimeOffset now, DateTimeOffset nextAfter, DateTimeOffset? occurrence, string policy,
        string outcome, bool popBuffer, WorkflowStartResponse started, CancellationToken cancellationToken)
    {
        var triggerNumber = row.FiresCount + 1;
        var fireLag = occurrence is { } at ? Math.Max(0, (long)(now - at).TotalMilliseconds) : 0;
        var recent = Ring(row.RecentActions, new JsonObject
        {
            ["workflow_id"] = started.WorkflowId,
            ["run_id"] = started.RunId,
            ["outcome"] = outcome,
            ["fired_at"] = WireTime.Offset(now),
            ["occurrence_time"] = occurrence is { } o ? WireTime.Offset(o) : null,
            ["fire_lag_ms"] = fireLag,
        });
        var buffered = row.BufferedActions.DeepClone().AsArray();
        if (popBuffer && buffered.Count > 0)
        {
            buffered.RemoveAt(0);
        }

        var remaining = row.RemainingActions is { } r ? Math.Max(0, r - 1) : (int?)null;
        var exhausted = remaining == 0;
        var updated = row with
        {
            FiresCount = triggerNumber,
            LastFiredAt = now,
            NextFireAt = exhausted ? null : NextFire(spec, row.JitterSeconds, nextAfter),
            LatestWorkflowInstanceId = started.WorkflowId,
            RemainingActions = remaining,
            RecentActions = recent,
            BufferedActions = exhausted ? [] : buffered,
            Status = exhausted ? "deleted" : row.Status,
            DeletedAt = exhausted ? now : row.DeletedAt,
        };
        await ScheduleStore.SaveAsync(tx, updated, cancellationToken);
        await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleTriggered", new JsonObject
        {
            ["outcome"] = outcome,
            ["effective_overlap_policy"] = policy,
            ["overlap_policy"] = policy,
            ["trigger_number"] = triggerNumber,
            ["occurrence_time"] = occurrence is { } oc ? WireTime.Offset(oc) : null,
            ["fire_lag_ms"] = fireLag,
        }, started.WorkflowId, started.RunId, occurrence, cancellationToken);
        if (exhausted)
        {
            await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleDeleted",
                new JsonObject { ["reason"] = "max_runs_exhausted", ["deleted_at"] = WireTime.Offset(now) }, null, null, null, cancellationToken);
        }

        return new FireResult(outcome) { WorkflowId = started.WorkflowId, RunId = started.RunId, Occurrence = occurrence };
    }

    private static async Task<FireResult> BufferAsync(
        EngineTransaction tx, ScheduleRow row, ScheduleSpec spec, DateTimeOffset now, DateTimeOffset nextAfter, DateTimeOffset? occurrence, bool advance,
        CancellationToken cancellationToken)
    {
        var buffered = row.BufferedActions.DeepClone().AsArray();
        buffered.Add(new JsonObject
        {
            ["buffered_at"] = WireTime.Offset(now),
            ["occurrence_time"] = WireTime.Offset(occurrence ?? now),
        });
        await ScheduleStore.SaveAsync(tx, row with
        {
            BufferedActions = buffered,
            NextFireAt = advance ? NextFire(spec, row.JitterSeconds, nextAfter) : row.NextFireAt,
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new FireResult("buffered") { BufferDepth = buffered.Count, Occurrence = occurrence };
    }

    private static async Task<FireResult> SkipAsync(
        EngineTransaction tx, ScheduleRow row, ScheduleSpec spec, DateTimeOffset now, DateTimeOffset nextAfter, DateTimeOffset? occurrence, string reason, bool advance,
        CancellationToken cancellationToken)
    {
        var skipped = row.SkippedTriggerCount + 1;
        await ScheduleStore.SaveAsync(tx, row with
        {
            SkippedTriggerCount = skipped,
            LastSkipReason = reason,
            LastSkippedAt = now,
            NextFireAt = advance ? NextFire(spec, row.JitterSeconds, nextAfter) : row.NextFireAt,
        }, cancellationToken);
        await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleTriggerSkipped", new JsonObject
        {
            ["reason"] = reason,
            ["skipped_trigger_count"] = skipped,
            ["last_skipped_at"] = WireTime.Offset(now),
            ["occurrence_time"] = occurrence is { } o ? WireTime.Offset(o) : null,
        }, null, null, occurrence, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new FireResult("skipped") { Reason = reason, Occurrence = occurrence };
    }

    /// <summary>A failed start is recorded in its own transaction and advances next_fire_at, so it is not retried hot.</summary>
    private async Task<FireResult> RecordFailureAsync(FireRequest request, SchedulerFence? fence, string message, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (fence is not null)
        {
            await fence.EnsureAsync(tx, cancellationToken);
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        if (await ScheduleStore.LockByRefAsync(tx, request.ScheduleRef, cancellationToken) is not { Status: not "deleted" } row)
        {
            return FireResult.NotDue;
        }

        var spec = ScheduleSpec.FromStored(row.Spec.ToJsonString());
        var recent = Ring(row.RecentActions, new JsonObject
        {
            ["workflow_id"] = null,
            ["run_id"] = null,
            ["outcome"] = "failed",
            ["fired_at"] = WireTime.Offset(now),
            ["occurrence_time"] = request.Occurrence is { } o ? WireTime.Offset(o) : null,
            ["reason"] = message,
        });
        await ScheduleStore.SaveAsync(tx, row with
        {
            FailuresCount = row.FailuresCount + 1,
            LastFiredAt = now,
            RecentActions = recent,
            NextFireAt = row.Status == "active" ? NextFire(spec, row.JitterSeconds, now) : row.NextFireAt,
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new FireResult("failed") { Reason = message, Occurrence = request.Occurrence };
    }

    /// <summary>
    /// Where a tick's next fire is counted from. By default (and in the contract, §9.6) from now, so the occurrences of
    /// a scheduler gap after the stale one are dropped. With <c>DW_SCHEDULE_CATCHUP_WINDOW_SECONDS</c> it is counted from
    /// the occurrence just handled, or from the window's start when that is later, so every occurrence of the last
    /// window is still fired after a scheduler swap or a late tick; <see cref="SchedulePass"/> fires the overdue ones
    /// in the same pass.
    /// </summary>
    private DateTimeOffset CatchUpFrom(ScheduleSpec spec, DateTimeOffset? occurrence, DateTimeOffset now)
    {
        if (settings.ScheduleCatchUpWindowSeconds <= 0 || occurrence is not { } handled)
        {
            return now;
        }

        var windowStart = now.AddSeconds(-settings.ScheduleCatchUpWindowSeconds);
        var from = handled > windowStart ? handled : windowStart;
        return spec.NextAfter(from) is { } following && following <= now ? from : now;
    }

    /// <summary>Next fire strictly after <paramref name="after"/>, plus a uniform jitter in [0, jitter] whole seconds.</summary>
    public static DateTimeOffset? NextFire(ScheduleSpec spec, int jitterSeconds, DateTimeOffset after)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.NextAfter(after) is { } next && jitterSeconds > 0
            ? next.AddSeconds(Random.Shared.Next(0, jitterSeconds + 1))
            : spec.NextAfter(after);
    }

    private static JsonArray Ring(JsonArray existing, JsonObject entry)
    {
        var ring = existing.DeepClone().AsArray();
        ring.Add(entry);
        while (ring.Count > RecentActionsKept)
        {
            ring.RemoveAt(0);
        }

        return ring;
    }

    private static DateTimeOffset? ParseTime(JsonNode? node) =>
        node?.GetValue<string>() is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;
}
