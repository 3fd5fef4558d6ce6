using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Scheduling.Passes;

/// <summary>
/// The report of one repair pass (rollout contract §8.4, control-plane §10.4). The deadline and activity-timeout keys
/// stay 0 here: the tick runs activity-timeout enforcement as its own pass, and the command-contract keys are the
/// server's defaults (every run records its contract at start).
/// </summary>
public sealed record TaskRepairReport
{
    [JsonPropertyName("connection")]
    public string? Connection { get; init; }

    [JsonPropertyName("queue")]
    public string? Queue { get; init; }

    [JsonPropertyName("run_ids")]
    public IReadOnlyList<string> RunIds { get; init; } = [];

    [JsonPropertyName("instance_id")]
    public string? InstanceId { get; init; }

    [JsonPropertyName("respect_throttle")]
    public bool RespectThrottle { get; init; }

    [JsonPropertyName("throttled")]
    public bool Throttled { get; init; }

    [JsonPropertyName("selected_existing_task_candidates")]
    public int SelectedExistingTaskCandidates { get; init; }

    [JsonPropertyName("selected_missing_task_candidates")]
    public int SelectedMissingTaskCandidates { get; init; }

    [JsonPropertyName("selected_total_candidates")]
    public int SelectedTotalCandidates => SelectedExistingTaskCandidates + SelectedMissingTaskCandidates;

    [JsonPropertyName("repaired_existing_tasks")]
    public int RepairedExistingTasks { get; init; }

    [JsonPropertyName("repaired_missing_tasks")]
    public int RepairedMissingTasks { get; init; }

    [JsonPropertyName("dispatched_tasks")]
    public int DispatchedTasks { get; init; }

    [JsonPropertyName("existing_task_failures")]
    public IReadOnlyList<RepairCandidateFailure> ExistingTaskFailures { get; init; } = [];

    [JsonPropertyName("missing_run_failures")]
    public IReadOnlyList<RepairRunFailure> MissingRunFailures { get; init; } = [];

    [JsonPropertyName("deadline_expired_candidates")]
    public int DeadlineExpiredCandidates { get; init; }

    [JsonPropertyName("deadline_expired_tasks_created")]
    public int DeadlineExpiredTasksCreated { get; init; }

    [JsonPropertyName("deadline_expired_failures")]
    public IReadOnlyList<RepairRunFailure> DeadlineExpiredFailures { get; init; } = [];

    [JsonPropertyName("activity_timeout_candidates")]
    public int ActivityTimeoutCandidates { get; init; }

    [JsonPropertyName("activity_timeouts_enforced")]
    public int ActivityTimeoutsEnforced { get; init; }

    [JsonPropertyName("activity_timeout_failures")]
    public IReadOnlyList<RepairExecutionFailure> ActivityTimeoutFailures { get; init; } = [];

    [JsonPropertyName("selected_command_contract_candidates")]
    public int SelectedCommandContractCandidates { get; init; }

    [JsonPropertyName("backfilled_command_contracts")]
    public int BackfilledCommandContracts { get; init; }

    [JsonPropertyName("command_contract_backfill_unavailable")]
    public int CommandContractBackfillUnavailable { get; init; }

    [JsonPropertyName("command_contract_failures")]
    public IReadOnlyList<RepairRunFailure> CommandContractFailures { get; init; } = [];

    [JsonIgnore]
    public bool HasFailures => ExistingTaskFailures.Count > 0 || MissingRunFailures.Count > 0 || CommandContractFailures.Count > 0;
}

public sealed record RepairCandidateFailure(
    [property: JsonPropertyName("candidate_id")] string CandidateId,
    [property: JsonPropertyName("message")] string Message);

public sealed record RepairRunFailure(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("message")] string Message);

public sealed record RepairExecutionFailure(
    [property: JsonPropertyName("execution_id")] string ExecutionId,
    [property: JsonPropertyName("message")] string Message);
