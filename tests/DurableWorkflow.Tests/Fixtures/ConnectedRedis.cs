using DurableWorkflow.Core.Coordination;
using Microsoft.Extensions.Logging.Abstractions;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>Redis coordination caches on the test Redis, each connected before it is returned.</summary>
public static class ConnectedRedis
{
    /// <summary>
    /// A wake bus subscribes once, on first use, so a test makes that first use find Redis connected (a cold start can
    /// miss the 2 s connect timeout, and the multiplexer then reconnects in the background).
    /// </summary>
    public static async Task<RedisCoordinationCache> CacheAsync()
    {
        var cache = new RedisCoordinationCache(TestEnvironment.RedisConnection, NullLogger<RedisCoordinationCache>.Instance);
        var multiplexer = await cache.GetConnectionAsync();
        await HttpAssert.EventuallyAsync(() => Task.FromResult((multiplexer.IsConnected, "redis not connected")), TimeSpan.FromSeconds(10));
        return cache;
    }
}
