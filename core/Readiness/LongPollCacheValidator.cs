using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Readiness;

/// <summary>
/// Classifies the cache that carries long-poll wake-ups (rollout contract §3.2): Redis is shared by every node, the
/// in-process cache is not. Unsafe means a multi-node deployment without a shared cache; with one node it is always
/// safe. It inspects configuration only; connectivity is readiness' cache round trip.
/// </summary>
public static class LongPollCacheValidator
{
    public static CacheValidation Classify(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var capable = settings.RedisConnection is not null;
        var backend = capable ? "redis" : "memory";
        if (!settings.MultiNode)
        {
            return new CacheValidation(backend, capable, false, true, "single_node");
        }

        return capable
            ? new CacheValidation(backend, true, true, true, "shared_backend")
            : new CacheValidation(backend, false, true, false, "multi_node_without_shared_cache");
    }
}
