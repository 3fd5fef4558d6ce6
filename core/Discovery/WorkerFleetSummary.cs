using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Discovery;

/// <summary>Workers with a live compatibility heartbeat in the request namespace (<c>worker_fleet</c>, §2.3.5).</summary>
public sealed record WorkerFleetSummary
{
    [JsonPropertyName("namespace")]
    public required string Namespace { get; init; }

    /// <summary>Distinct worker ids.</summary>
    [JsonPropertyName("active_workers")]
    public required int ActiveWorkers { get; init; }

    /// <summary>Live heartbeat scopes (worker × connection × queue).</summary>
    [JsonPropertyName("active_worker_scopes")]
    public required int ActiveWorkerScopes { get; init; }

    [JsonPropertyName("queues")]
    public required IReadOnlyList<string> Queues { get; init; }

    [JsonPropertyName("build_ids")]
    public required IReadOnlyList<string> BuildIds { get; init; }

    [JsonPropertyName("workers")]
    public required IReadOnlyList<FleetWorker> Workers { get; init; }

    /// <summary>Live workers whose cohort is draining (included in <see cref="ActiveWorkers"/>); absent until read.</summary>
    [JsonPropertyName("draining_workers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DrainingWorkers { get; init; }

    /// <summary>Registered workers whose last heartbeat is older than the stale window; absent until read.</summary>
    [JsonPropertyName("stale_workers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? StaleWorkers { get; init; }

    public static WorkerFleetSummary Empty(string requestNamespace) => new()
    {
        Namespace = requestNamespace,
        ActiveWorkers = 0,
        ActiveWorkerScopes = 0,
        Queues = [],
        BuildIds = [],
        Workers = [],
    };
}

public sealed record FleetWorker
{
    [JsonPropertyName("worker_id")]
    public required string WorkerId { get; init; }

    [JsonPropertyName("queues")]
    public required IReadOnlyList<string> Queues { get; init; }

    [JsonPropertyName("build_ids")]
    public required IReadOnlyList<string> BuildIds { get; init; }

    [JsonPropertyName("recorded_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? RecordedAt { get; init; }

    [JsonPropertyName("expires_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? ExpiresAt { get; init; }
}
