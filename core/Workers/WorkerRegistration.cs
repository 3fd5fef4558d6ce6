using System.Text.Json;

namespace DurableWorkflow.Core.Workers;

/// <summary>
/// One row of <c>workflow_worker_registrations</c> (worker protocol §2.1, rollout contract §6.1), as the poll handlers
/// and the management API see it.
/// </summary>
public sealed record WorkerRegistration
{
    public required string Namespace { get; init; }

    public required string WorkerId { get; init; }

    public required string TaskQueue { get; init; }

    public required string Runtime { get; init; }

    public string? SdkVersion { get; init; }

    /// <summary>The registered value exactly as sent; it is authoritative for matching, not the poll's.</summary>
    public string? BuildId { get; init; }

    /// <summary>Empty = accepts every workflow type (PHP semantics).</summary>
    public required IReadOnlyList<string> SupportedWorkflowTypes { get; init; }

    /// <summary>Empty = accepts every activity type (PHP semantics).</summary>
    public required IReadOnlyList<string> SupportedActivityTypes { get; init; }

    /// <summary>Workflow type → definition fingerprint.</summary>
    public required IReadOnlyDictionary<string, string> WorkflowDefinitionFingerprints { get; init; }

    public required IReadOnlyList<string> Capabilities { get; init; }

    /// <summary>Per workflow type query/signal/update contracts as the worker sent them (an object, possibly empty).</summary>
    public required JsonElement WorkflowCommandContracts { get; init; }

    public required int MaxConcurrentWorkflowTasks { get; init; }

    public required int MaxConcurrentActivityTasks { get; init; }

    public JsonElement? TaskSlots { get; init; }

    public JsonElement? ProcessMetrics { get; init; }

    public int? HeartbeatIntervalSeconds { get; init; }

    /// <summary>
    /// <c>active</c> or <c>draining</c>. Poll admission answers with the cohort's current drain intent when a rollout row
    /// exists, so a drain or resume takes effect on the next poll even before the worker's next heartbeat.
    /// </summary>
    public required string Status { get; init; }

    /// <summary>True when the last heartbeat is older than the stale window; only computed by the management reads.</summary>
    public bool IsStale { get; init; }

    public DateTimeOffset? LastHeartbeatAt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public bool IsDraining => Status == WorkerStatus.Draining;

    /// <summary>The marker this worker matches tasks with: null when unversioned (null, empty or whitespace).</summary>
    public string? MatchingBuildId => string.IsNullOrWhiteSpace(BuildId) ? null : BuildId.Trim();

    public bool AcceptsWorkflowType(string workflowType) =>
        SupportedWorkflowTypes.Count == 0 || SupportedWorkflowTypes.Contains(workflowType, StringComparer.Ordinal);

    public bool AcceptsActivityType(string activityType) =>
        SupportedActivityTypes.Count == 0 || SupportedActivityTypes.Contains(activityType, StringComparer.Ordinal);
}

/// <summary>Stored registration statuses; <c>stale</c> is derived at read time and never stored.</summary>
public static class WorkerStatus
{
    public const string Active = "active";
    public const string Draining = "draining";
    public const string Stale = "stale";
}
