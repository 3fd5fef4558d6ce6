using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Failures;
using DurableWorkflow.Core.Engine.Links;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The two policies a <c>start_child_workflow</c> command freezes on its link (worker-protocol spec §3.5): what a
/// closing parent does to its open children, and whether a failed child run is retried as a new run of the same
/// child instance before the parent hears of the failure.
/// </summary>
/// <remarks>
/// Lock order. A closing run already holds its own row lock; the parent-close policy then locks its open children one
/// at a time in run-id order, and closing a child recurses down its own subtree, so policy enforcement always locks
/// top-down and two enforcements cannot wait on each other. A child that closes on its own locks child then parent
/// (<see cref="RunCloser"/> notifying the parent), the opposite order: if a child closes at the very moment its parent
/// closes, PostgreSQL detects the cycle and aborts one transaction, which has written nothing and is retried by its
/// caller (control-plane commands retry at once; a worker retries its completion or the task lease expires). Avoiding
/// that would need every child path to lock the parent before the child, which none of them can know up front.
/// Within the enforcing transaction the child's closure re-locks the parent, which is a no-op because the lock is
/// already held, and finds it closed, so the parent is never resumed. Child instance rows are deliberately not
/// touched here (no <c>workflow_commands</c> row): the command path locks instance before run, and taking a child's
/// instance after its run would invert that.
/// </remarks>
public static class ChildWorkflowPolicies
{
    private const string CancelledExceptionClass = "Workflow\\V2\\Exceptions\\WorkflowCancelledException";
    private const string TerminatedExceptionClass = "Workflow\\V2\\Exceptions\\WorkflowTerminatedException";

    /// <summary>
    /// Cancels or terminates the current run of each open child whose link says so, and records
    /// <c>ParentClosePolicyApplied</c> on the parent after its own closing events. <c>abandon</c> leaves the child alone.
    /// </summary>
    public static async Task ApplyParentClosePolicyAsync(EngineTransaction tx, RunState parent, string closedReason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(parent);
        var children = new List<(string InstanceId, string RunId, string Policy)>();
        await using (var links = tx.Command(
            """
            SELECT child_workflow_instance_id, child_workflow_run_id, parent_close_policy
              FROM workflow_links
             WHERE parent_workflow_run_id = $1 AND link_type = 'child_workflow' AND status = 'open'
               AND parent_close_policy IN ('request_cancel', 'terminate') AND child_workflow_run_id IS NOT NULL
             ORDER BY child_workflow_run_id
            """,
            parent.Id))
        {
            await using var reader = await links.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                children.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        var applied = new List<NewHistoryEvent>();
        foreach (var (instanceId, runId, policy) in children)
        {
            var child = await RunState.LockAsync(tx, runId, cancellationToken);
            if (child is null || !child.IsOpen)
            {
                // Already closed (and its parent simply not told, because the parent had closed): nothing to enforce.
                continue;
            }

            var reason = $"Parent workflow closed ({closedReason}); parent-close policy: {policy}.";
            await CloseChildAsync(tx, child, policy == "terminate", reason, cancellationToken);
            await LinkStore.ResolveChildAsync(tx, runId, policy == "terminate" ? RunStatus.Terminated : RunStatus.Cancelled, cancellationToken);

            applied.Add(new NewHistoryEvent("ParentClosePolicyApplied", new JsonObject
            {
                ["child_instance_id"] = instanceId,
                ["child_run_id"] = runId,
                ["policy"] = policy,
                ["reason"] = reason,
            }));
        }

        await HistoryStore.AppendAsync(tx, parent.Id, applied, null, null, cancellationToken);
    }

    /// <summary>
    /// Starts the next run of a failed child when its link's retry policy has attempts left, moves the link and the
    /// instance to it, and tells an open parent with <c>ChildRunStarted</c>. Returns false when the failure must reach
    /// the parent instead: not a failure, non-retryable, an execution timeout (it spans every retry), or no attempts left.
    /// </summary>
    public static async Task<bool> TryRetryChildAsync(EngineTransaction tx, RunState child, RunState? parent, RunClosure closure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(child);
        ArgumentNullException.ThrowIfNull(closure);
        if (closure.Status != RunStatus.Failed || closure.Failure is not { } failure
            || (string?)failure["timeout_kind"] == "execution_timeout" || Flag(failure["non_retryable"]))
        {
            return false;
        }

        string linkId;
        string? childCallId;
        string? parentClosePolicy;
        JsonObject policy;
        JsonObject? parallel;
        int retryAttempt;
        await using (var link = tx.Command(
            """
            SELECT l.id, l.child_call_id, l.parent_close_policy, l.retry_policy::text, l.parallel_group::text, r.retry_attempt
              FROM workflow_links l
              JOIN workflow_runs r ON r.id = l.child_workflow_run_id
             WHERE l.child_workflow_run_id = $1 AND l.link_type = 'child_workflow' AND l.status = 'open'
               AND jsonb_typeof(l.retry_policy) = 'object'
            """,
            child.Id))
        {
            await using var reader = await link.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            linkId = reader.GetString(0);
            childCallId = reader.StringOrNull(1);
            parentClosePolicy = reader.StringOrNull(2);
            policy = JsonNode.Parse(reader.GetString(3))!.AsObject();
            parallel = reader.JsonObjectOrNull(4);
            retryAttempt = reader.GetInt32(5);
        }

        // The failed run was attempt retryAttempt + 1; the policy's max_attempts counts the first run too.
        var maxAttempts = CommandValidator.ReadInt(policy["max_attempts"]) ?? 1;
        if (retryAttempt + 1 >= maxAttempts || IsNonRetryableType(policy, failure))
        {
            return false;
        }

        var backoff = BackoffSeconds(policy, retryAttempt);
        var runId = Ulid.NewId();
        var nextAttempt = retryAttempt + 1;
        var created = await RunWriter.InsertAsync(tx, new NewRun
        {
            Namespace = child.Namespace,
            InstanceId = child.InstanceId,
            RunId = runId,
            RunNumber = child.RunNumber + 1,
            WorkflowType = child.WorkflowType,
            BusinessKey = child.BusinessKey,
            TaskQueue = child.TaskQueue,
            Compatibility = child.Compatibility,
            Priority = child.Priority,
            PayloadCodec = child.PayloadCodec,
            Arguments = child.Arguments,
            Memo = (JsonObject)child.Memo.DeepClone(),
            SearchAttributes = (JsonObject)child.SearchAttributes.DeepClone(),
            ExecutionTimeoutSeconds = child.ExecutionTimeoutSeconds,
            RunTimeoutSeconds = child.RunTimeoutSeconds,
            ExecutionDeadlineAt = child.ExecutionDeadlineAt,
            ParentInstanceId = child.ParentInstanceId,
            ParentRunId = child.ParentRunId,
            ParentSequence = child.ParentSequence,
            RetryAttempt = nextAttempt,
            RetryOfRunId = child.Id,
            FirstTaskDelaySeconds = backoff,
            RecordStartAccepted = false,
            StartedExtras = new JsonObject
            {
                ["parent_workflow_instance_id"] = child.ParentInstanceId,
                ["parent_workflow_run_id"] = child.ParentRunId,
                ["parent_sequence"] = child.ParentSequence,
                ["workflow_link_id"] = linkId,
                ["child_call_id"] = childCallId,
                ["retry_policy"] = policy.DeepClone(),
                ["retry_attempt"] = nextAttempt,
                ["retry_of_child_workflow_run_id"] = child.Id,
            },
        }, cancellationToken);

        await LinkStore.MoveToRetryRunAsync(tx, linkId, runId, cancellationToken);
        await RunWriter.MoveInstanceToRunAsync(tx, child.InstanceId, runId, cancellationToken);

        if (parent is { IsOpen: true })
        {
            var started = new JsonObject
            {
                ["sequence"] = child.ParentSequence,
                ["workflow_link_id"] = linkId,
                ["child_call_id"] = childCallId,
                ["child_workflow_instance_id"] = child.InstanceId,
                ["child_workflow_run_id"] = runId,
                ["child_workflow_class"] = child.WorkflowType,
                ["child_workflow_type"] = child.WorkflowType,
                ["child_run_number"] = child.RunNumber + 1,
                ["child_status"] = RunStatus.Pending,
                ["parent_close_policy"] = parentClosePolicy,
                ["retry_policy"] = policy.DeepClone(),
                ["execution_timeout_seconds"] = child.ExecutionTimeoutSeconds,
                ["run_timeout_seconds"] = child.RunTimeoutSeconds,
                ["execution_deadline_at"] = created.ExecutionDeadlineAt is { } e ? Http.WireTime.Micro(e) : null,
                ["run_deadline_at"] = created.RunDeadlineAt is { } r ? Http.WireTime.Micro(r) : null,
                ["retry_attempt"] = nextAttempt,
                ["retry_of_child_workflow_run_id"] = child.Id,
                ["retry_backoff_seconds"] = backoff,
            };
            ParallelGroup.CopyInto(parallel, started);
            await HistoryStore.AppendAsync(tx, parent.Id, [new NewHistoryEvent("ChildRunStarted", started)], null, null, cancellationToken);
        }

        return true;
    }

    /// <summary>Cancel or terminate with the events, failure row and closure a control-plane command would write.</summary>
    private static async Task CloseChildAsync(EngineTransaction tx, RunState child, bool terminate, string reason, CancellationToken cancellationToken)
    {
        var status = terminate ? RunStatus.Terminated : RunStatus.Cancelled;
        var exceptionClass = terminate ? TerminatedExceptionClass : CancelledExceptionClass;
        var message = $"Workflow {status}: {reason}";
        var failureId = await FailureStore.InsertAsync(tx, new NewFailure
        {
            Namespace = child.Namespace,
            RunId = child.Id,
            SourceKind = "workflow_run",
            SourceId = child.Id,
            PropagationKind = status,
            Category = status,
            ExceptionClass = exceptionClass,
            Message = message,
            NonRetryable = true,
        }, cancellationToken);

        if (!terminate)
        {
            await RunWriter.MarkCancelRequestedAsync(tx, child.Id, cancellationToken);
        }

        // No workflow_commands row backs these events (see the lock-order remark), so workflow_command_id is null.
        var request = new JsonObject
        {
            ["workflow_command_id"] = null,
            ["workflow_instance_id"] = child.InstanceId,
            ["workflow_run_id"] = child.Id,
            ["command_type"] = terminate ? "terminate" : "cancel",
            ["reason"] = reason,
        };
        var closed = new JsonObject
        {
            ["workflow_command_id"] = null,
            ["workflow_instance_id"] = child.InstanceId,
            ["workflow_run_id"] = child.Id,
            ["failure_id"] = failureId,
            ["failure_category"] = status,
            ["closed_reason"] = status,
            ["exception_class"] = exceptionClass,
            ["message"] = message,
            ["reason"] = reason,
        };
        await HistoryStore.AppendAsync(tx, child.Id,
            [
                new NewHistoryEvent(terminate ? "TerminateRequested" : "CancelRequested", request),
                new NewHistoryEvent(terminate ? "WorkflowTerminated" : "WorkflowCancelled", closed),
            ], null, null, cancellationToken);
        var closure = new JsonObject
        {
            ["failure_category"] = status,
            ["exception_class"] = exceptionClass,
            ["message"] = message,
        };
        await RunCloser.CloseAsync(tx, child, new RunClosure(status, status, Failure: closure, FailureId: failureId), null, cancellationToken);
    }

    /// <summary><c>backoff_seconds[failed attempt − 1]</c>, the last entry repeating, 0 when there is none.</summary>
    private static int BackoffSeconds(JsonObject policy, int retryAttempt)
    {
        var backoff = policy["backoff_seconds"] is JsonArray list
            ? list.Select(CommandValidator.ReadInt).OfType<int>().Where(b => b >= 0).ToList()
            : [];
        return backoff.Count == 0 ? 0 : backoff[Math.Min(retryAttempt, backoff.Count - 1)];
    }

    private static bool IsNonRetryableType(JsonObject policy, JsonObject failure)
    {
        if (policy["non_retryable_error_types"] is not JsonArray types)
        {
            return false;
        }

        var listed = types.OfType<JsonValue>().Select(t => t.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return new[] { "exception_type", "exception_class" }.Any(key => failure[key] is JsonValue v && v.TryGetValue<string>(out var name) && listed.Contains(name));
    }

    private static bool Flag(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var flag) && flag;
}
