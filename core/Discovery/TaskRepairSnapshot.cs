using System.Text.Json.Serialization;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// <c>task_repair</c> in cluster info and the body of <c>GET /api/system/repair</c>: the repair timing policy
/// and the global candidate scan (control-plane spec §10.4).
/// </summary>
public sealed record TaskRepairSnapshot
{
    /// <summary>Default policy and an empty scan, servable before the repair engine exists.</summary>
    public static TaskRepairSnapshot Default { get; } = new()
    {
        Policy = TaskRepairPolicy.Default,
        Candidates = TaskRepairCandidates.None(TaskRepairPolicy.Default),
    };

    [JsonPropertyName("policy")]
    public required TaskRepairPolicy Policy { get; init; }

    [JsonPropertyName("candidates")]
    public required TaskRepairCandidates Candidates { get; init; }
}

/// <summary>Repair timing knobs (rollout contract §8.3).</summary>
public sealed record TaskRepairPolicy
{
    public const string ScopeFairRoundRobin = "scope_fair_round_robin";

    public static TaskRepairPolicy Default { get; } = new();

    /// <summary>The policy this node runs with: the four <c>DW_V2_TASK_REPAIR_*</c> knobs.</summary>
    public static TaskRepairPolicy From(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new()
        {
            RedispatchAfterSeconds = settings.TaskRepairRedispatchAfterSeconds,
            LoopThrottleSeconds = settings.TaskRepairLoopThrottleSeconds,
            ScanLimit = settings.TaskRepairScanLimit,
            FailureBackoffMaxSeconds = settings.TaskRepairFailureBackoffMaxSeconds,
        };
    }

    /// <summary>
    /// Seconds before a task that failed dispatch or claim is offered again: 0 for an immediate first retry at
    /// <c>repair_count = 0</c>, else <c>redispatch_after_seconds</c> doubled <c>repair_count − 1</c> times, capped.
    /// </summary>
    public int BackoffSeconds(int repairCount, bool immediateFirstRetry)
    {
        if (immediateFirstRetry && repairCount == 0)
        {
            return 0;
        }

        long seconds = RedispatchAfterSeconds;
        for (var i = 1; i < repairCount && seconds < FailureBackoffMaxSeconds; i++)
        {
            seconds *= 2;
        }

        return (int)Math.Min(seconds, FailureBackoffMaxSeconds);
    }

    [JsonPropertyName("redispatch_after_seconds")]
    public int RedispatchAfterSeconds { get; init; } = 3;

    [JsonPropertyName("loop_throttle_seconds")]
    public int LoopThrottleSeconds { get; init; } = 5;

    [JsonPropertyName("scan_limit")]
    public int ScanLimit { get; init; } = 25;

    [JsonPropertyName("scan_strategy")]
    public string ScanStrategy { get; init; } = ScopeFairRoundRobin;

    [JsonPropertyName("failure_backoff_max_seconds")]
    public int FailureBackoffMaxSeconds { get; init; } = 60;

    [JsonPropertyName("failure_backoff_strategy")]
    public string FailureBackoffStrategy { get; init; } = "exponential_by_repair_count";
}

/// <summary>Tasks and runs a repair pass would pick up now, with per-scope buckets.</summary>
public sealed record TaskRepairCandidates
{
    [JsonPropertyName("existing_task_candidates")]
    public int ExistingTaskCandidates { get; init; }

    [JsonPropertyName("missing_task_candidates")]
    public int MissingTaskCandidates { get; init; }

    [JsonPropertyName("total_candidates")]
    public int TotalCandidates { get; init; }

    [JsonPropertyName("scan_limit")]
    public required int ScanLimit { get; init; }

    [JsonPropertyName("scan_strategy")]
    public required string ScanStrategy { get; init; }

    [JsonPropertyName("selected_existing_task_candidates")]
    public int SelectedExistingTaskCandidates { get; init; }

    [JsonPropertyName("selected_missing_task_candidates")]
    public int SelectedMissingTaskCandidates { get; init; }

    [JsonPropertyName("selected_total_candidates")]
    public int SelectedTotalCandidates { get; init; }

    [JsonPropertyName("existing_task_scan_limit_reached")]
    public bool ExistingTaskScanLimitReached { get; init; }

    [JsonPropertyName("missing_task_scan_limit_reached")]
    public bool MissingTaskScanLimitReached { get; init; }

    [JsonPropertyName("scan_pressure")]
    public bool ScanPressure { get; init; }

    [JsonPropertyName("oldest_task_candidate_created_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? OldestTaskCandidateCreatedAt { get; init; }

    [JsonPropertyName("oldest_missing_run_started_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? OldestMissingRunStartedAt { get; init; }

    [JsonPropertyName("max_task_candidate_age_ms")]
    public long MaxTaskCandidateAgeMs { get; init; }

    [JsonPropertyName("max_missing_run_age_ms")]
    public long MaxMissingRunAgeMs { get; init; }

    [JsonPropertyName("scopes")]
    public IReadOnlyList<TaskRepairScope> Scopes { get; init; } = [];

    public static TaskRepairCandidates None(TaskRepairPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new() { ScanLimit = policy.ScanLimit, ScanStrategy = policy.ScanStrategy };
    }
}

/// <summary>One <c>(connection, queue, compatibility)</c> bucket of the scope-fair scan.</summary>
public sealed record TaskRepairScope
{
    /// <summary><c>&lt;connection|default&gt;:&lt;queue|default&gt;:&lt;compatibility|any&gt;</c>.</summary>
    [JsonPropertyName("scope_key")]
    public required string ScopeKey { get; init; }

    [JsonPropertyName("connection")]
    public string? Connection { get; init; }

    [JsonPropertyName("queue")]
    public string? Queue { get; init; }

    [JsonPropertyName("compatibility")]
    public string? Compatibility { get; init; }

    [JsonPropertyName("existing_task_candidates")]
    public int ExistingTaskCandidates { get; init; }

    [JsonPropertyName("missing_task_candidates")]
    public int MissingTaskCandidates { get; init; }

    [JsonPropertyName("total_candidates")]
    public int TotalCandidates { get; init; }

    [JsonPropertyName("selected_existing_task_candidates")]
    public int SelectedExistingTaskCandidates { get; init; }

    [JsonPropertyName("selected_missing_task_candidates")]
    public int SelectedMissingTaskCandidates { get; init; }

    [JsonPropertyName("selected_total_candidates")]
    public int SelectedTotalCandidates { get; init; }

    [JsonPropertyName("oldest_task_candidate_created_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? OldestTaskCandidateCreatedAt { get; init; }

    [JsonPropertyName("oldest_missing_run_started_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? OldestMissingRunStartedAt { get; init; }

    [JsonPropertyName("max_task_candidate_age_ms")]
    public long MaxTaskCandidateAgeMs { get; init; }

    [JsonPropertyName("max_missing_run_age_ms")]
    public long MaxMissingRunAgeMs { get; init; }

    [JsonPropertyName("scan_limited_by_global_policy")]
    public bool ScanLimitedByGlobalPolicy { get; init; }
}
