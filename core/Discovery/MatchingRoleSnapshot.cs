using System.Text.Json.Serialization;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// How this process finds and hands out tasks (rollout contract §1.3); published as <c>topology.matching_role</c>
/// and as operator-metrics <c>matching_role</c>. Computed from this process's own settings, so nodes may differ.
/// </summary>
public sealed record MatchingRoleSnapshot
{
    [JsonPropertyName("queue_wake_enabled")]
    public required bool QueueWakeEnabled { get; init; }

    /// <summary>A pure function of <see cref="QueueWakeEnabled"/>: <c>in_worker</c> or <c>dedicated</c>.</summary>
    [JsonPropertyName("shape")]
    public required string Shape { get; init; }

    /// <summary><c>worker_loop</c> or, when the in-worker wake is off, <c>dedicated_repair_pass</c>.</summary>
    [JsonPropertyName("wake_owner")]
    public required string WakeOwner { get; init; }

    /// <summary>Always <c>poll</c>: this server only serves remote workers over the worker protocol.</summary>
    [JsonPropertyName("task_dispatch_mode")]
    public string TaskDispatchMode { get; init; } = "poll";

    [JsonPropertyName("partition_primitives")]
    public IReadOnlyList<string> PartitionPrimitives { get; init; } = ["connection", "queue", "compatibility", "namespace"];

    /// <summary>No per-worker quota exists; a worker holds only what its leases cover.</summary>
    [JsonPropertyName("backpressure_model")]
    public string BackpressureModel { get; init; } = "lease_ownership";

    [JsonPropertyName("discovery_limits")]
    public required DiscoveryLimits DiscoveryLimits { get; init; }

    public static MatchingRoleSnapshot From(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var wake = settings.QueueWakeEnabled;
        return new MatchingRoleSnapshot
        {
            QueueWakeEnabled = wake,
            Shape = wake ? "in_worker" : "dedicated",
            WakeOwner = wake ? "worker_loop" : "dedicated_repair_pass",
            DiscoveryLimits = new DiscoveryLimits
            {
                WakeSignalTtlSeconds = Math.Max(settings.WorkerPollTimeoutSeconds + 5, 60),
                WorkflowTaskLeaseSeconds = settings.WorkflowTaskLeaseSeconds,
            },
        };
    }
}

/// <summary>Bounds on how long a ready task can go unnoticed.</summary>
public sealed record DiscoveryLimits
{
    [JsonPropertyName("poll_batch_cap")]
    public int PollBatchCap { get; init; } = 100;

    [JsonPropertyName("availability_ceiling_seconds")]
    public int AvailabilityCeilingSeconds { get; init; } = 1;

    /// <summary>Outlives one long poll so a signal raised mid-poll is still visible when the poller re-checks.</summary>
    [JsonPropertyName("wake_signal_ttl_seconds")]
    public required int WakeSignalTtlSeconds { get; init; }

    [JsonPropertyName("workflow_task_lease_seconds")]
    public required int WorkflowTaskLeaseSeconds { get; init; }

    [JsonPropertyName("activity_task_lease_seconds")]
    public int ActivityTaskLeaseSeconds { get; init; } = 300;
}
