using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// Assembles the debug snapshot (control-plane spec §4.7): execution state, open work, recent failures, the run's queue
/// and findings. It is a bounded subset of upstream's: no per-task compatibility or fleet analysis, no replay checks.
/// Beyond the spec keys it adds <c>history_tail</c>, the last events without payloads, oldest first.
/// </summary>
internal static class WorkflowReadDebug
{
    /// <summary>Upper bound of <c>payload_preview</c>, in UTF-8 bytes.</summary>
    public const int PayloadPreviewBytes = 4096;

    public static JsonObject Build(RunViewRow run, Sections sections, bool includeLastEventPayload, DateTimeOffset now)
    {
        var terminal = RunStatuses.IsTerminal(run.Status);
        var stats = QueueStats(sections);
        var backlog = (long)stats["approximate_backlog_count"]!;
        var activePollers = (long)stats["pollers"]!["active_count"]!;
        var diagnosticStatus = terminal ? "terminal"
            : run.TaskProblem || run.RepairAttention ? "needs_attention"
            : sections.WorkflowTasks.Count > 0 || sections.Activities.Count > 0 ? "pending_work"
            : run.WaitKind is not null ? "waiting"
            : backlog > 0 ? "queue_backlog"
            : "running";

        return new JsonObject
        {
            ["generated_at"] = WireTime.Micro(now),
            ["workflow_id"] = run.WorkflowId,
            ["run_id"] = run.RunId,
            ["namespace"] = run.Namespace,
            ["diagnostic_status"] = diagnosticStatus,
            ["execution"] = Execution(run, terminal, sections, includeLastEventPayload),
            ["pending_workflow_tasks"] = sections.WorkflowTasks,
            ["pending_activities"] = sections.Activities,
            ["task_queue"] = new JsonObject { ["name"] = run.TaskQueue, ["stats"] = stats },
            ["recent_failures"] = sections.Failures,
            ["findings"] = Findings(run, terminal, sections, activePollers),
            ["history_tail"] = sections.HistoryTail,
        };
    }

    private static JsonObject Execution(RunViewRow run, bool terminal, Sections sections, bool includeLastEventPayload)
    {
        var execution = new JsonObject
        {
            ["status"] = run.Status,
            ["status_bucket"] = run.StatusBucket,
            ["is_terminal"] = terminal,
            ["workflow_type"] = run.WorkflowType,
            ["task_queue"] = run.TaskQueue,
            ["compatibility"] = run.Compatibility,
            ["run_number"] = run.RunNumber,
            ["started_at"] = RunView.Micro(run.StartedAt),
            ["closed_at"] = RunView.Micro(run.ClosedAt),
            ["last_progress_at"] = RunView.Micro(run.LastProgressAt),
            ["wait_kind"] = run.WaitKind,
            ["wait_reason"] = run.WaitReason,
            ["liveness_state"] = run.LivenessState,
            ["liveness_reason"] = run.LivenessReason,
            ["repair_attention"] = run.RepairAttention,
            ["task_problem"] = run.TaskProblem,
            ["last_event"] = LastEvent(sections, includeLastEventPayload),
            ["next_scheduled_event"] = sections.NextTask is { } task
                ? new JsonObject
                {
                    ["source"] = "task",
                    ["task_id"] = task["task_id"]?.DeepClone(),
                    ["task_type"] = task["task_type"]?.DeepClone(),
                    ["task_status"] = task["task_status"]?.DeepClone(),
                    ["available_at"] = task["available_at"]?.DeepClone(),
                    ["lease_expires_at"] = task["lease_expires_at"]?.DeepClone(),
                    ["wait_deadline_at"] = null,
                }
                : null,
        };

        // The spec omits null values from this object.
        foreach (var key in execution.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            execution.Remove(key);
        }

        return execution;
    }

    /// <summary>
    /// The newest event with <c>payload_summary</c> = <c>{keys, size_bytes}</c> of its payload (the upstream summary
    /// shape is unconfirmed) and, on request, a JSON preview cut to <see cref="PayloadPreviewBytes"/>.
    /// </summary>
    private static JsonObject? LastEvent(Sections sections, bool includePayload)
    {
        if (sections.HistoryTail.Count == 0 || sections.LastEventPayload is not { } payloadJson)
        {
            return null;
        }

        var last = sections.HistoryTail[^1]!.AsObject().DeepClone().AsObject();
        var payload = JsonNode.Parse(payloadJson) as JsonObject ?? [];
        var size = Encoding.UTF8.GetByteCount(payloadJson);
        last["payload_summary"] = new JsonObject
        {
            ["keys"] = new JsonArray([.. payload.Select(p => (JsonNode?)p.Key)]),
            ["size_bytes"] = size,
        };
        if (includePayload)
        {
            last["payload_preview"] = Truncate(payloadJson, PayloadPreviewBytes);
            last["payload_preview_truncated"] = size > PayloadPreviewBytes;
        }

        return last;
    }

    /// <summary>The queue's stats in the task-queue shape (control-plane spec §8.1), counting open tasks only.</summary>
    private static JsonObject QueueStats(Sections sections)
    {
        var counts = sections.QueueStats;
        var pollers = counts["pollers"]!.DeepClone().AsObject();
        pollers["stale_after_seconds"] = sections.StaleAfterSeconds;
        return new JsonObject
        {
            ["approximate_backlog_count"] = (long)counts["workflow_tasks"]!["ready_count"]! + (long)counts["activity_tasks"]!["ready_count"]!,
            ["workflow_tasks"] = counts["workflow_tasks"]!.DeepClone(),
            ["activity_tasks"] = counts["activity_tasks"]!.DeepClone(),
            ["pollers"] = pollers,
        };
    }

    private static JsonArray Findings(RunViewRow run, bool terminal, Sections sections, long activePollers)
    {
        var findings = new JsonArray();
        if (terminal)
        {
            return findings;
        }

        if (activePollers == 0)
        {
            findings.Add(Finding("no_active_pollers", $"No worker with a fresh heartbeat polls task queue [{run.TaskQueue}]."));
        }

        if (sections.WorkflowTasks.Any(t => (bool)t!["lease_expired"]!))
        {
            findings.Add(Finding("expired_leases", "A workflow task lease of this run has expired and awaits recovery."));
        }

        if (run.TaskProblem)
        {
            findings.Add(Finding("task_problem", run.LivenessReason ?? "The run's task transport reports a problem."));
        }

        if (run.RepairAttention)
        {
            findings.Add(Finding("repair_attention", run.LivenessReason ?? "The run needs repair attention."));
        }

        return findings;
    }

    private static JsonObject Finding(string code, string message) =>
        new() { ["severity"] = "warning", ["code"] = code, ["message"] = message };

    /// <summary>Cuts at a UTF-8 byte budget without splitting a character.</summary>
    private static string Truncate(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var bytes = 0;
        var length = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            length += rune.Utf16SequenceLength;
        }

        return text[..length];
    }

    /// <summary>The run's diagnostic rows, assembled as JSON by the database in one snapshot.</summary>
    internal sealed record Sections(
        JsonArray WorkflowTasks,
        JsonArray Activities,
        JsonArray Failures,
        JsonArray HistoryTail,
        string? LastEventPayload,
        JsonObject? NextTask,
        JsonObject QueueStats,
        int StaleAfterSeconds);
}
