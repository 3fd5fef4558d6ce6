using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Coordination;

namespace DurableWorkflow.Core.Readiness;

/// <summary>
/// The readiness <c>cache</c> decision (rollout contract §4.2, §3.2). A multi-node deployment without a shared cache is
/// refused while the validator is on. A failed round trip through Redis is a <c>warning</c> under the default policy
/// (the database stays the correctness substrate); any other failed store is <c>unavailable</c>.
/// </summary>
public static class CacheCheck
{
    public static CheckResult Unshared(string store) => new()
    {
        Status = "invalid",
        Store = store,
        Shared = false,
        Message = "DW_V2_MULTI_NODE=true but the cache is local to this node, so wake signals cannot reach other nodes.",
        Remediation = "Set DW_REDIS_CONNECTION to a Redis shared by every API node, or DW_V2_VALIDATE_CACHE_BACKEND=false to accept per-node wake-ups.",
    };

    public static CheckResult FromProbe(ServerSettings settings, string store, bool shared, CacheProbeResult probe)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(probe);
        var redis = store == "redis";
        if (!probe.Ok)
        {
            return redis && settings.ReadyCachePolicy == ReadyCachePolicy.Warning
                ? Degraded(store, shared, probe.Message)
                : new CheckResult { Status = "unavailable", Store = store, Shared = shared, Message = probe.Message };
        }

        // Reached only when the validator is off: the operator accepted per-node wake-ups, so the node stays ready.
        if (settings.MultiNode && !shared)
        {
            return Degraded(store, shared, "DW_V2_MULTI_NODE=true with a per-node cache: wake-ups do not cross nodes (DW_V2_VALIDATE_CACHE_BACKEND=false).");
        }

        return CheckResult.Ok with { Store = store, Shared = shared };
    }

    private static CheckResult Degraded(string store, bool shared, string? message) => new()
    {
        Status = "warning",
        Store = store,
        Shared = shared,
        Message = message,
        CorrectnessSubstrate = "database",
        DegradedCapability = "long_poll_wake_acceleration",
    };
}
