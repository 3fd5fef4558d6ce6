using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workers;

/// <summary><c>POST /api/worker/register</c> 201 body; the worker plane adds its envelope.</summary>
public sealed record WorkerRegisteredResponse
{
    [JsonPropertyName("worker_id")]
    public required string WorkerId { get; init; }

    [JsonPropertyName("registered")]
    public bool Registered { get; init; } = true;

    [JsonPropertyName("task_queue")]
    public required string TaskQueue { get; init; }

    [JsonPropertyName("runtime")]
    public required string Runtime { get; init; }

    [JsonPropertyName("build_id")]
    public string? BuildId { get; init; }

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    /// <summary>Python adopts this as its heartbeat cadence, which keeps it inside the stale window.</summary>
    [JsonPropertyName("heartbeat_interval_seconds")]
    public required int HeartbeatIntervalSeconds { get; init; }

    [JsonPropertyName("stale_after_seconds")]
    public required int StaleAfterSeconds { get; init; }
}

/// <summary><c>POST /api/worker/heartbeat</c> 200 body.</summary>
public sealed record WorkerHeartbeatResponse
{
    [JsonPropertyName("worker_id")]
    public required string WorkerId { get; init; }

    [JsonPropertyName("acknowledged")]
    public bool Acknowledged { get; init; } = true;

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("heartbeat_interval_seconds")]
    public required int HeartbeatIntervalSeconds { get; init; }

    [JsonPropertyName("stale_after_seconds")]
    public required int StaleAfterSeconds { get; init; }

    [JsonPropertyName("retention")]
    public RetentionReport Retention { get; init; } = RetentionReport.NotRun;
}

/// <summary>The inline retention pass report; retention runs in the scheduler role, so the heartbeat reports it throttled.</summary>
public sealed record RetentionReport(
    [property: JsonPropertyName("throttled")] bool Throttled,
    [property: JsonPropertyName("processed")] int Processed,
    [property: JsonPropertyName("pruned")] int Pruned,
    [property: JsonPropertyName("skipped")] int Skipped,
    [property: JsonPropertyName("failed")] int Failed)
{
    public static RetentionReport NotRun { get; } = new(true, 0, 0, 0, 0);
}

/// <summary><c>DELETE /api/worker/registrations/{worker_id}</c> 200 body.</summary>
public sealed record WorkerDeregisteredResponse(
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("recovered_workflow_task_count")] int RecoveredWorkflowTaskCount);

/// <summary><c>DELETE /api/workers/{workerId}</c> 200 body (control plane §7.3).</summary>
public sealed record WorkerDeletedResponse(
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("outcome")] string Outcome);

/// <summary><c>GET /api/workers</c> 200 body (control plane §7.1).</summary>
public sealed record WorkerListResponse(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("stale_after_seconds")] int StaleAfterSeconds,
    [property: JsonPropertyName("workers")] IReadOnlyList<WorkerView> Workers);

/// <summary>The worker object of the management API (control plane §7); <c>updated_at</c> only on describe.</summary>
public sealed record WorkerView
{
    [JsonPropertyName("worker_id")]
    public required string WorkerId { get; init; }

    [JsonPropertyName("namespace")]
    public required string Namespace { get; init; }

    [JsonPropertyName("task_queue")]
    public required string TaskQueue { get; init; }

    [JsonPropertyName("runtime")]
    public required string Runtime { get; init; }

    [JsonPropertyName("sdk_version")]
    public string? SdkVersion { get; init; }

    [JsonPropertyName("build_id")]
    public string? BuildId { get; init; }

    [JsonPropertyName("supported_workflow_types")]
    public required IReadOnlyList<string> SupportedWorkflowTypes { get; init; }

    /// <summary>An object, or <c>[]</c> when empty as the PHP server renders an empty map.</summary>
    [JsonPropertyName("workflow_definition_fingerprints")]
    public required JsonNode WorkflowDefinitionFingerprints { get; init; }

    [JsonPropertyName("supported_activity_types")]
    public required IReadOnlyList<string> SupportedActivityTypes { get; init; }

    [JsonPropertyName("max_concurrent_workflow_tasks")]
    public required int MaxConcurrentWorkflowTasks { get; init; }

    [JsonPropertyName("max_concurrent_activity_tasks")]
    public required int MaxConcurrentActivityTasks { get; init; }

    /// <summary>Stored status, or <c>stale</c> when the last heartbeat is older than the stale window.</summary>
    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("last_heartbeat_at")]
    public string? LastHeartbeatAt { get; init; }

    [JsonPropertyName("registered_at")]
    public string? RegisteredAt { get; init; }

    [JsonPropertyName("updated_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UpdatedAt { get; init; }

    [JsonPropertyName("heartbeat_interval_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? HeartbeatIntervalSeconds { get; init; }

    [JsonPropertyName("task_slots")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? TaskSlots { get; init; }

    [JsonPropertyName("process_metrics")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ProcessMetrics { get; init; }

    public static WorkerView From(WorkerRegistration registration, bool withUpdatedAt)
    {
        ArgumentNullException.ThrowIfNull(registration);
        JsonNode fingerprints = registration.WorkflowDefinitionFingerprints.Count == 0
            ? new JsonArray()
            : new JsonObject(registration.WorkflowDefinitionFingerprints.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        return new WorkerView
        {
            WorkerId = registration.WorkerId,
            Namespace = registration.Namespace,
            TaskQueue = registration.TaskQueue,
            Runtime = registration.Runtime,
            SdkVersion = registration.SdkVersion,
            BuildId = registration.BuildId,
            SupportedWorkflowTypes = registration.SupportedWorkflowTypes,
            WorkflowDefinitionFingerprints = fingerprints,
            SupportedActivityTypes = registration.SupportedActivityTypes,
            MaxConcurrentWorkflowTasks = registration.MaxConcurrentWorkflowTasks,
            MaxConcurrentActivityTasks = registration.MaxConcurrentActivityTasks,
            Status = registration.IsStale ? WorkerStatus.Stale : registration.Status,
            LastHeartbeatAt = registration.LastHeartbeatAt is { } heartbeat ? WireTime.Micro(heartbeat) : null,
            RegisteredAt = WireTime.Micro(registration.CreatedAt),
            UpdatedAt = withUpdatedAt ? WireTime.Micro(registration.UpdatedAt) : null,
            HeartbeatIntervalSeconds = registration.HeartbeatIntervalSeconds,
            TaskSlots = registration.TaskSlots,
            ProcessMetrics = registration.ProcessMetrics,
        };
    }
}
