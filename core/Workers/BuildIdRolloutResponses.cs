using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Workers;

/// <summary><c>GET /api/task-queues/{taskQueue}/build-ids</c> (rollout contract §6.3).</summary>
public sealed record BuildIdCohortsResponse(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("task_queue")] string TaskQueue,
    [property: JsonPropertyName("stale_after_seconds")] int StaleAfterSeconds,
    [property: JsonPropertyName("build_ids")] IReadOnlyList<BuildIdCohortView> BuildIds);

/// <summary>One cohort; <c>build_id</c> is null for the unversioned cohort.</summary>
public sealed record BuildIdCohortView
{
    [JsonPropertyName("build_id")]
    public string? BuildId { get; init; }

    [JsonPropertyName("rollout_status")]
    public required string RolloutStatus { get; init; }

    [JsonPropertyName("drain_intent")]
    public required string DrainIntent { get; init; }

    [JsonPropertyName("drained_at")]
    public string? DrainedAt { get; init; }

    [JsonPropertyName("promoted_at")]
    public string? PromotedAt { get; init; }

    [JsonPropertyName("rolled_back_at")]
    public string? RolledBackAt { get; init; }

    [JsonPropertyName("new_start_selected")]
    public bool NewStartSelected { get; init; }

    [JsonPropertyName("active_worker_count")]
    public int ActiveWorkerCount { get; init; }

    [JsonPropertyName("draining_worker_count")]
    public int DrainingWorkerCount { get; init; }

    [JsonPropertyName("stale_worker_count")]
    public int StaleWorkerCount { get; init; }

    [JsonPropertyName("total_worker_count")]
    public int TotalWorkerCount { get; init; }

    [JsonPropertyName("runtimes")]
    public required IReadOnlyList<string> Runtimes { get; init; }

    [JsonPropertyName("sdk_versions")]
    public required IReadOnlyList<string> SdkVersions { get; init; }

    [JsonPropertyName("workflow_definition_fingerprint_count")]
    public int WorkflowDefinitionFingerprintCount { get; init; }

    [JsonPropertyName("workflow_definition_fingerprint_conflicts")]
    public required IReadOnlyList<FingerprintConflict> WorkflowDefinitionFingerprintConflicts { get; init; }

    [JsonPropertyName("last_heartbeat_at")]
    public string? LastHeartbeatAt { get; init; }

    [JsonPropertyName("first_seen_at")]
    public string? FirstSeenAt { get; init; }
}

/// <summary>Drain, resume and promote answer (rollout contract §6.6).</summary>
public sealed record BuildIdRolloutResponse
{
    [JsonPropertyName("namespace")]
    public required string Namespace { get; init; }

    [JsonPropertyName("task_queue")]
    public required string TaskQueue { get; init; }

    [JsonPropertyName("build_id")]
    public string? BuildId { get; init; }

    [JsonPropertyName("drain_intent")]
    public required string DrainIntent { get; init; }

    [JsonPropertyName("drained_at")]
    public string? DrainedAt { get; init; }

    [JsonPropertyName("promoted_at")]
    public string? PromotedAt { get; init; }

    [JsonPropertyName("rolled_back_at")]
    public string? RolledBackAt { get; init; }

    [JsonPropertyName("new_start_selected")]
    public bool NewStartSelected { get; init; }
}
