namespace DurableWorkflow.Core.Coordination;

/// <summary>
/// The cache shared by API nodes for acceleration hints (wake signals, poll coalescing). The database stays the
/// correctness substrate: nothing may depend on this cache for correctness, only for latency.
/// </summary>
public interface ICoordinationCache
{
    /// <summary>The store name reported by readiness: <c>redis</c> or <c>memory</c>.</summary>
    string StoreName { get; }

    /// <summary>True when every API node sees the same cache, so wake signals reach other nodes.</summary>
    bool IsShared { get; }

    /// <summary>Writes a random key with a 10 s lifetime, reads it back and deletes it.</summary>
    Task<CacheProbeResult> ProbeAsync(CancellationToken cancellationToken);
}

public sealed record CacheProbeResult(bool Ok, string? Message)
{
    public static CacheProbeResult Success { get; } = new(true, null);

    public static CacheProbeResult Failure(string message) => new(false, message);
}
