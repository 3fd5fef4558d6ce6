using System.Collections.Concurrent;

namespace DurableWorkflow.Core.Coordination;

/// <summary>The single-node fallback when no Redis is configured: correct, but wake signals stay on this node.</summary>
public sealed class InProcessCoordinationCache(TimeProvider clock) : ICoordinationCache
{
    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset ExpiresAt)> entries = new();

    public string StoreName => "memory";

    public bool IsShared => false;

    public Task<CacheProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var key = $"dw:ready-probe:{Guid.NewGuid():N}";
        var value = Guid.NewGuid().ToString("N");
        entries[key] = (value, clock.GetUtcNow().AddSeconds(10));
        var roundTripped = entries.TryRemove(key, out var stored) && stored.Value == value;
        return Task.FromResult(roundTripped
            ? CacheProbeResult.Success
            : CacheProbeResult.Failure("Cache store did not round-trip the readiness probe value."));
    }
}
