using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Core.Engine.Failures;
using DurableWorkflow.Core.Engine.Links;
using DurableWorkflow.Core.Engine.Messages;
using DurableWorkflow.Core.Engine.Timers;
using DurableWorkflow.Core.Engine.Waits;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.SearchAttributes;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>The leased workflow task a completion applies to.</summary>
public sealed record CompletingTask(string TaskId, long HistoryCutoffSequence, JsonObject ResumeContext);

/// <summary>
/// What a batch did: the run's status afterwards and the tasks it created. A batch that leaves the run open carries
/// <see cref="Waiting"/>, which the caller records with the task's close (<c>LeasedTaskFollowUp</c>).
/// </summary>
public sealed record AppliedBatch(string RunStatus, IReadOnlyList<string> CreatedTaskIds)
{
    public RunWaiting? Waiting { get; init; }
}

/// <summary>What an open run waits for after its workflow task completed, and the last workflow step the task used.</summary>
public sealed record RunWaiting(int LastStepSequence, string WaitKind);

/// <summary>
/// Applies a validated command batch to a locked run (worker-protocol spec §3.4.2 and §3.5): non-terminal commands
/// in order, then the terminal one; every event, row and task of the batch is written in the caller's transaction.
/// A batch without a terminal command leaves the run's waiting state to the caller (<see cref="AppliedBatch.Waiting"/>).
/// </summary>
public sealed class CommandApplier
{
    private readonly EngineTransaction tx;
    private readonly RunState run;
    private readonly CompletingTask task;
    private readonly List<NewHistoryEvent> events = [];
    private readonly List<string> createdTaskIds = [];
    private int step;
    private string? waitKind;

    public CommandApplier(EngineTransaction tx, RunState run, CompletingTask task)
    {
        this.tx = tx;
        this.run = run;
        this.task = task;
        step = run.LastStepSequence;
    }

    /// <summary>Returns the applied batch, or an <c>invalid_commands</c> reason when the batch cannot be applied.</summary>
    public async Task<(AppliedBatch? Batch, string? InvalidReason)> ApplyAsync(IReadOnlyList<WorkflowCommand> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var terminal = commands.Where(c => c.IsTerminal).ToList();
        if (terminal.Count > 1)
        {
            return (null, "A workflow task may complete with at most one terminal command.");
        }

        var updateProblem = await CheckUpdatesAsync(commands, cancellationToken);
        if (updateProblem is not null)
        {
            return (null, updateProblem);
        }

        foreach (var command in commands.Where(c => !c.IsTerminal))
        {
            var problem = await ApplyNonTerminalAsync(command, cancellationToken);
            if (problem is not null)
            {
                return (null, problem);
            }
        }

        if (task.ResumeContext["workflow_wait_kind"]?.GetValue<string>() == "signal"
            && !commands.Any(c => c.Type == CommandTypes.OpenConditionWait))
        {
            await SatisfyLatestConditionWaitAsync(cancellationToken);
        }

        if (terminal.Count == 1)
        {
            return (new AppliedBatch(await ApplyTerminalAsync(terminal[0], cancellationToken), createdTaskIds), null);
        }

        await FlushEventsAsync(cancellationToken);
        return (new AppliedBatch(RunStatus.Waiting, createdTaskIds) { Waiting = new RunWaiting(step, waitKind ?? "signal") }, null);
    }

    private async Task<string?> CheckUpdatesAsync(IReadOnlyList<WorkflowCommand> commands, CancellationToken cancellationToken)
    {
        var ids = commands.Where(c => c.Type is CommandTypes.CompleteUpdate or CommandTypes.FailUpdate).Select(c => c.String("update_id")!).ToList();
        if (ids.Count == 0)
        {
            return null;
        }

        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
        {
            return "An update may be completed only once per workflow task.";
        }

        var forUpdate = task.ResumeContext["workflow_update_id"]?.GetValue<string>();
        if (forUpdate is not null && ids.Any(id => id != forUpdate))
        {
            return $"This workflow task was created for update [{forUpdate}].";
        }

        await using var read = tx.Command(
            "SELECT count(*) FROM workflow_updates WHERE run_id = $1 AND status = 'accepted' AND id = ANY($2)", run.Id, ids.ToArray());
        var accepted = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
        return accepted == ids.Count ? null : "Every update_id must name an accepted update of this run.";
    }

    private async Task<string?> ApplyNonTerminalAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        switch (command.Type)
        {
            case CommandTypes.ScheduleActivity:
                await ScheduleActivityAsync(command, cancellationToken);
                break;
            case CommandTypes.StartTimer:
                await StartTimerAsync(++step, command.Int("delay_seconds")!.Value, null, cancellationToken);
                waitKind ??= "timer";
                break;
            case CommandTypes.StartChildWorkflow:
                return await StartChildAsync(command, cancellationToken);
            case CommandTypes.RecordSideEffect:
                var effect = command.Fields["result"] as JsonObject;
                events.Add(new NewHistoryEvent("SideEffectRecorded", new JsonObject
                {
                    ["sequence"] = ++step,
                    ["result"] = effect?["blob"]?.DeepClone() ?? effect?.DeepClone(),
                    ["payload_codec"] = effect?["codec"]?.DeepClone() ?? run.PayloadCodec,
                }));
                break;
            case CommandTypes.RecordVersionMarker:
                events.Add(new NewHistoryEvent("VersionMarkerRecorded", new JsonObject
                {
                    ["sequence"] = ++step,
                    ["change_id"] = command.String("change_id"),
                    ["version"] = command.Int("version"),
                    ["min_supported"] = command.Int("min_supported"),
                    ["max_supported"] = command.Int("max_supported"),
                }));
                break;
            case CommandTypes.UpsertSearchAttributes:
                if (await UpsertSearchAttributesAsync(command, cancellationToken) is { } mismatch)
                {
                    return mismatch;
                }

                break;
            case CommandTypes.OpenConditionWait:
                await OpenConditionWaitAsync(command, cancellationToken);
                waitKind ??= "condition";
                break;
            case CommandTypes.CompleteUpdate:
            case CommandTypes.FailUpdate:
                await CloseUpdateAsync(command, cancellationToken);
                break;
        }

        return null;
    }

    private async Task ScheduleActivityAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        var sequence = ++step;
        waitKind ??= "activity";
        var executionId = Ulid.NewId();
        var activityType = command.String("activity_type")!.Trim();
        var queue = string.IsNullOrWhiteSpace(command.String("queue")) ? run.TaskQueue : command.String("queue")!;
        var retryPolicy = command.Fields["retry_policy"] as JsonObject;
        var parallel = ParallelGroup.Extract(command.Fields);
        var arguments = command.Fields["arguments"] as JsonObject;
        createdTaskIds.Add(await ActivityStore.ScheduleAsync(tx, run, new NewActivityExecution
        {
            ExecutionId = executionId,
            Sequence = sequence,
            ActivityType = activityType,
            TaskQueue = queue,
            PayloadCodec = arguments?["codec"]?.GetValue<string>() ?? run.PayloadCodec,
            Arguments = arguments,
            RetryPolicy = retryPolicy,
            MaxAttempts = CommandValidator.ReadInt(retryPolicy?["max_attempts"]) ?? 1,
            StartToCloseTimeout = command.Int("start_to_close_timeout"),
            ScheduleToStartTimeout = command.Int("schedule_to_start_timeout"),
            ScheduleToCloseTimeout = command.Int("schedule_to_close_timeout"),
            HeartbeatTimeout = command.Int("heartbeat_timeout"),
            ParallelGroup = parallel,
        }, task.TaskId, cancellationToken));
        var payload = new JsonObject
        {
            ["activity_execution_id"] = executionId,
            ["activity_class"] = activityType,
            ["activity_type"] = activityType,
            ["sequence"] = sequence,
            ["execution_mode"] = "remote",
            ["local_activity"] = false,
            ["workflow_task_id"] = task.TaskId,
            ["activity"] = new JsonObject
            {
                ["id"] = executionId,
                ["type"] = activityType,
                ["queue"] = queue,
                ["retry_policy"] = retryPolicy?.DeepClone(),
                ["start_to_close_timeout"] = command.Int("start_to_close_timeout"),
                ["schedule_to_start_timeout"] = command.Int("schedule_to_start_timeout"),
                ["schedule_to_close_timeout"] = command.Int("schedule_to_close_timeout"),
                ["heartbeat_timeout"] = command.Int("heartbeat_timeout"),
            },
        };
        ParallelGroup.CopyInto(parallel, payload);
        events.Add(new NewHistoryEvent("ActivityScheduled", payload));
    }

    private async Task StartTimerAsync(int sequence, int delaySeconds, JsonObject? conditionKeys, CancellationToken cancellationToken)
    {
        var kind = conditionKeys is null ? null : "condition_timeout";
        var (timer, taskId) = await TimerStore.StartAsync(tx, run, sequence, delaySeconds, kind,
            conditionKeys?["condition_wait_id"]?.GetValue<string>(), cancellationToken);
        createdTaskIds.Add(taskId);
        var timerId = timer.Id;
        var fireAt = timer.FireAt;
        var payload = new JsonObject
        {
            ["timer_id"] = timerId,
            ["sequence"] = sequence,
            ["delay_seconds"] = delaySeconds,
            ["fire_at"] = WireTime.Micro(fireAt),
        };
        if (conditionKeys is not null)
        {
            payload["timer_kind"] = kind;
            foreach (var (key, value) in conditionKeys)
            {
                payload[key] = value?.DeepClone();
            }
        }

        events.Add(new NewHistoryEvent("TimerScheduled", payload));
    }

    private async Task OpenConditionWaitAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        var sequence = ++step;
        var waitId = $"condition:{sequence}";
        var timeout = command.Int("timeout_seconds");
        var keys = new JsonObject
        {
            ["condition_wait_id"] = waitId,
            ["condition_key"] = command.String("condition_key"),
            ["condition_definition_fingerprint"] = command.String("condition_definition_fingerprint"),
        };
        string? timerId = null;
        events.Add(new NewHistoryEvent("ConditionWaitOpened", new JsonObject
        {
            ["condition_wait_id"] = waitId,
            ["condition_key"] = command.String("condition_key"),
            ["condition_definition_fingerprint"] = command.String("condition_definition_fingerprint"),
            ["sequence"] = sequence,
            ["timeout_seconds"] = timeout,
        }));
        if (timeout > 0)
        {
            await StartTimerAsync(sequence, timeout.Value, keys, cancellationToken);
            timerId = events[^1].Payload["timer_id"]!.GetValue<string>();
        }

        await WaitStore.OpenConditionAsync(tx, run.Namespace, run.Id, waitId, new ConditionWait(sequence, command.String("condition_key"),
            command.String("condition_definition_fingerprint"), timerId, timeout), cancellationToken);
    }

    /// <summary>A signal-driven task that opened no new wait satisfied the latest open one (PHP bookkeeping).</summary>
    private async Task SatisfyLatestConditionWaitAsync(CancellationToken cancellationToken)
    {
        if (await WaitStore.SatisfyLatestConditionAsync(tx, run.Id, task.ResumeContext["workflow_signal_id"]?.GetValue<string>(), cancellationToken)
            is not { } satisfied)
        {
            return;
        }

        var (sequence, key, fingerprint, timerId, timeout) = satisfied;

        var waitId = $"condition:{sequence}";
        events.Add(new NewHistoryEvent("ConditionWaitSatisfied", new JsonObject
        {
            ["condition_wait_id"] = waitId,
            ["condition_key"] = key,
            ["condition_definition_fingerprint"] = fingerprint,
            ["sequence"] = sequence,
            ["timer_id"] = timerId,
            ["timeout_seconds"] = timeout,
            ["workflow_signal_id"] = task.ResumeContext["workflow_signal_id"]?.DeepClone(),
            ["signal_name"] = task.ResumeContext["signal_name"]?.DeepClone(),
        }));
        if (timerId is null)
        {
            return;
        }

        if (await TimerStore.CancelAsync(tx, timerId, cancellationToken) is { } cancelled)
        {
            events.Add(new NewHistoryEvent("TimerCancelled", new JsonObject
            {
                ["timer_id"] = timerId,
                ["sequence"] = sequence,
                ["delay_seconds"] = cancelled.DelaySeconds,
                ["fire_at"] = WireTime.Micro(cancelled.FireAt),
                ["timer_kind"] = "condition_timeout",
                ["condition_wait_id"] = waitId,
                ["condition_key"] = key,
                ["condition_definition_fingerprint"] = fingerprint,
                ["cancelled_at"] = WireTime.Micro(cancelled.CancelledAt!.Value),
            }));
        }
    }

    /// <summary>Null when applied; a message naming the attributes whose values don't have their defined type otherwise.</summary>
    private async Task<string?> UpsertSearchAttributesAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        var attributes = (JsonObject)command.Fields["attributes"]!;
        var types = await SearchAttributeStore.TypesAsync(tx, run.Namespace, [.. attributes.Select(a => a.Key)], cancellationToken);
        if (SearchAttributeService.Mismatches(attributes, types) is { Count: > 0 } problems)
        {
            return string.Join(" ", problems);
        }

        var merged = (JsonObject)run.SearchAttributes.DeepClone();
        foreach (var (key, value) in attributes)
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value.DeepClone();
            }
        }

        var sorted = new JsonObject();
        foreach (var key in merged.Select(p => p.Key).Order(StringComparer.Ordinal).ToList())
        {
            sorted[key] = merged[key]?.DeepClone();
        }

        await RunWriter.SetSearchAttributesAsync(tx, run.Namespace, run.Id, sorted, cancellationToken);
        run.SearchAttributes.Clear();
        foreach (var (key, value) in sorted)
        {
            run.SearchAttributes[key] = value?.DeepClone();
        }

        events.Add(new NewHistoryEvent("SearchAttributesUpserted", new JsonObject
        {
            ["sequence"] = ++step,
            ["attributes"] = attributes.DeepClone(),
            ["merged"] = sorted,
        }));
        return null;
    }

    private async Task CloseUpdateAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        var updateId = command.String("update_id")!;
        var completed = command.Type == CommandTypes.CompleteUpdate;
        var result = command.Fields["result"] as JsonObject;
        var failure = completed ? null : new JsonObject
        {
            ["message"] = command.String("message"),
            ["exception_type"] = command.String("exception_type"),
            ["exception_class"] = command.String("exception_class"),
            ["non_retryable"] = command.Fields["non_retryable"]?.DeepClone(),
        };
        var (_, name, commandId, arguments, _) = await UpdateStore.CloseAsync(tx, run.Id, updateId, result, failure, cancellationToken);
        var argumentBlob = arguments is null ? null : JsonNode.Parse(arguments)?["blob"]?.DeepClone();
        var common = new JsonObject
        {
            ["workflow_command_id"] = commandId,
            ["update_id"] = updateId,
            ["workflow_instance_id"] = run.InstanceId,
            ["workflow_run_id"] = run.Id,
            ["update_name"] = name,
        };
        var applied = (JsonObject)common.DeepClone();
        applied["arguments"] = argumentBlob;
        events.Add(new NewHistoryEvent("UpdateApplied", applied));
        var closed = (JsonObject)common.DeepClone();
        if (completed)
        {
            closed["result"] = result?["blob"]?.DeepClone();
            closed["payload_codec"] = result?["codec"]?.DeepClone() ?? run.PayloadCodec;
        }
        else
        {
            closed["failure_category"] = "application";
            foreach (var (key, value) in failure!)
            {
                closed[key] = value?.DeepClone();
            }
        }

        events.Add(new NewHistoryEvent("UpdateCompleted", closed));
        tx.Wake(WakeChannels.Update(updateId));
    }

    private async Task<string?> StartChildAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        var sequence = ++step;
        waitKind ??= "child";
        var childId = string.IsNullOrWhiteSpace(command.String("workflow_id")) ? Ulid.NewId() : command.String("workflow_id")!;
        var childType = command.String("workflow_type")!;
        var queue = string.IsNullOrWhiteSpace(command.String("queue")) ? run.TaskQueue : command.String("queue")!;
        var childRunId = Ulid.NewId();
        var linkId = Ulid.NewId();
        var callId = Ulid.NewId();
        if (!await RunWriter.ClaimInstanceAsync(tx, new NewInstance(childId, run.Namespace, childType, null, childRunId,
                command.Int("execution_timeout_seconds"), 0), cancellationToken))
        {
            return $"Child workflow id [{childId}] is already in use.";
        }

        var parallel = ParallelGroup.Extract(command.Fields);
        await LinkStore.OpenChildAsync(tx, new NewChildLink(linkId, run.Namespace, run.InstanceId, run.Id, sequence, callId, childId, childRunId,
            command.String("parent_close_policy") ?? "abandon", command.Fields["retry_policy"], parallel), cancellationToken);

        var created = await RunWriter.InsertAsync(tx, new NewRun
        {
            Namespace = run.Namespace,
            InstanceId = childId,
            RunId = childRunId,
            WorkflowType = childType,
            TaskQueue = queue,
            Compatibility = run.Compatibility,
            WorkflowDefinitionFingerprint = await DefinitionFingerprints.OfTaskWorkerAsync(tx, task.TaskId, childType, cancellationToken),
            Priority = run.Priority,
            PayloadCodec = run.PayloadCodec,
            Arguments = command.Fields["arguments"] as JsonObject,
            ExecutionTimeoutSeconds = command.Int("execution_timeout_seconds"),
            RunTimeoutSeconds = command.Int("run_timeout_seconds"),
            ParentInstanceId = run.InstanceId,
            ParentRunId = run.Id,
            ParentSequence = sequence,
            StartedExtras = new JsonObject
            {
                ["parent_workflow_instance_id"] = run.InstanceId,
                ["parent_workflow_run_id"] = run.Id,
                ["parent_sequence"] = sequence,
                ["workflow_link_id"] = linkId,
                ["child_call_id"] = callId,
            },
        }, cancellationToken);
        createdTaskIds.Add(created.TaskId);

        var scheduled = new JsonObject
        {
            ["sequence"] = sequence,
            ["workflow_link_id"] = linkId,
            ["child_call_id"] = callId,
            ["child_workflow_instance_id"] = childId,
            ["child_workflow_run_id"] = childRunId,
            ["child_workflow_class"] = childType,
            ["child_workflow_type"] = childType,
            ["child_run_number"] = 1,
            ["parent_close_policy"] = command.String("parent_close_policy") ?? "abandon",
            ["retry_policy"] = command.Fields["retry_policy"]?.DeepClone(),
        };
        ParallelGroup.CopyInto(parallel, scheduled);
        var started = (JsonObject)scheduled.DeepClone();
        started["child_status"] = RunStatus.Pending;
        started["execution_timeout_seconds"] = command.Int("execution_timeout_seconds");
        started["run_timeout_seconds"] = command.Int("run_timeout_seconds");
        events.Add(new NewHistoryEvent("ChildWorkflowScheduled", scheduled));
        events.Add(new NewHistoryEvent("ChildRunStarted", started));
        return null;
    }

    private async Task<string> ApplyTerminalAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        switch (command.Type)
        {
            case CommandTypes.CompleteWorkflow:
            {
                var result = command.Fields["result"] as JsonObject;
                events.Add(new NewHistoryEvent("WorkflowCompleted", new JsonObject
                {
                    ["output"] = result?["blob"]?.DeepClone(),
                    ["payload_codec"] = result?["codec"]?.DeepClone() ?? run.PayloadCodec,
                }));
                await FlushEventsAsync(cancellationToken);
                await RunCloser.CloseAsync(tx, run, new RunClosure(RunStatus.Completed, "completed", result) { LastStepSequence = step },
                    task.TaskId, cancellationToken);
                return RunStatus.Completed;
            }

            case CommandTypes.FailWorkflow:
            {
                var failureId = Ulid.NewId();
                var exception = command.Fields["exception"] as JsonObject ?? new JsonObject
                {
                    ["class"] = command.String("exception_class") ?? "RuntimeException",
                    ["type"] = command.String("exception_type"),
                    ["message"] = command.String("message"),
                    ["code"] = 0,
                };
                var failure = new JsonObject
                {
                    ["failure_id"] = failureId,
                    ["source_kind"] = "workflow_run",
                    ["source_id"] = run.Id,
                    ["failure_category"] = "application",
                    ["non_retryable"] = command.Fields["non_retryable"]?.DeepClone() ?? false,
                    ["exception_type"] = command.String("exception_type"),
                    ["exception_class"] = command.String("exception_class") ?? "RuntimeException",
                    ["message"] = command.String("message"),
                    ["exception"] = exception.DeepClone(),
                };
                await FailureStore.InsertAsync(tx, new NewFailure
                {
                    Id = failureId,
                    Namespace = run.Namespace,
                    RunId = run.Id,
                    SourceKind = "workflow_run",
                    SourceId = run.Id,
                    Category = "application",
                    ExceptionType = command.String("exception_type"),
                    ExceptionClass = command.String("exception_class") ?? "RuntimeException",
                    Message = command.String("message"),
                    Exception = exception,
                    NonRetryable = command.Fields["non_retryable"]?.GetValue<bool>() ?? false,
                }, cancellationToken);

                events.Add(new NewHistoryEvent("WorkflowFailed", failure));
                await FlushEventsAsync(cancellationToken);
                await RunCloser.CloseAsync(tx, run, new RunClosure(RunStatus.Failed, "failed", Failure: failure, FailureId: failureId) { LastStepSequence = step },
                    task.TaskId, cancellationToken);
                return RunStatus.Failed;
            }

            default:
                return await ContinueAsNewAsync(command, cancellationToken);
        }
    }

    private async Task<string> ContinueAsNewAsync(WorkflowCommand command, CancellationToken cancellationToken)
    {
        var newRunId = Ulid.NewId();
        var linkId = Ulid.NewId();
        var workflowType = string.IsNullOrWhiteSpace(command.String("workflow_type")) ? run.WorkflowType : command.String("workflow_type")!;
        var queue = string.IsNullOrWhiteSpace(command.String("queue")) ? run.TaskQueue : command.String("queue")!;
        events.Add(new NewHistoryEvent("WorkflowContinuedAsNew", new JsonObject
        {
            ["sequence"] = step + 1,
            ["continued_to_run_id"] = newRunId,
            ["continued_to_run_number"] = run.RunNumber + 1,
            ["workflow_link_id"] = linkId,
            ["closed_reason"] = "continued",
        }));
        await FlushEventsAsync(cancellationToken);
        await LinkStore.RecordContinueAsNewAsync(tx, linkId, run.Namespace, run.InstanceId, run.Id, newRunId, cancellationToken);

        await RunCloser.CloseAsync(tx, run, new RunClosure(RunStatus.Completed, "continued") { NotifyParent = false, LastStepSequence = step },
            task.TaskId, cancellationToken);
        var created = await RunWriter.InsertAsync(tx, new NewRun
        {
            Namespace = run.Namespace,
            InstanceId = run.InstanceId,
            RunId = newRunId,
            RunNumber = run.RunNumber + 1,
            WorkflowType = workflowType,
            BusinessKey = run.BusinessKey,
            TaskQueue = queue,
            Compatibility = run.Compatibility,
            WorkflowDefinitionFingerprint = await DefinitionFingerprints.OfTaskWorkerAsync(tx, task.TaskId, workflowType, cancellationToken),
            Priority = run.Priority,
            PayloadCodec = run.PayloadCodec,
            Arguments = command.Fields["arguments"] as JsonObject ?? run.Arguments,
            Memo = (JsonObject)run.Memo.DeepClone(),
            SearchAttributes = (JsonObject)run.SearchAttributes.DeepClone(),
            ExecutionTimeoutSeconds = run.ExecutionTimeoutSeconds,
            RunTimeoutSeconds = run.RunTimeoutSeconds,
            ExecutionDeadlineAt = run.ExecutionDeadlineAt,
            ParentInstanceId = run.ParentInstanceId,
            ParentRunId = run.ParentRunId,
            ParentSequence = run.ParentSequence,
            ContinuedFromRunId = run.Id,
            RecordStartAccepted = false,
            StartedExtras = new JsonObject { ["continued_from_run_id"] = run.Id, ["workflow_link_id"] = linkId },
        }, cancellationToken);
        createdTaskIds.Add(created.TaskId);

        await RunWriter.SetContinuedToAsync(tx, run.Id, newRunId, cancellationToken);
        await RunWriter.MoveInstanceToRunAsync(tx, run.InstanceId, newRunId, cancellationToken);
        await LinkStore.FollowContinuedChildAsync(tx, run.Id, newRunId, cancellationToken);

        return RunStatus.Completed;
    }

    private async Task FlushEventsAsync(CancellationToken cancellationToken)
    {
        if (events.Count > 0)
        {
            await HistoryStore.AppendAsync(tx, run.Id, events, task.TaskId, null, cancellationToken);
            events.Clear();
        }
    }
}
