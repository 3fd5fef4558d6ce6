using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DurableWorkflow.Core.Coordination;

/// <summary>
/// Redis shared by every API node. The connection is opened in the background with <c>abortConnect=false</c> so a
/// node starts (and answers <c>/api/health</c>) while Redis is still down; readiness reports the outage instead.
/// </summary>
public sealed class RedisCoordinationCache : ICoordinationCache, IAsyncDisposable
{
    private static readonly TimeSpan ProbeLifetime = TimeSpan.FromSeconds(10);

    private readonly Lazy<Task<ConnectionMultiplexer>> connection;

    public RedisCoordinationCache(string configuration, ILogger<RedisCoordinationCache> logger)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 2000);
        options.SyncTimeout = Math.Min(options.SyncTimeout, 2000);
        connection = new Lazy<Task<ConnectionMultiplexer>>(async () =>
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
            multiplexer.ConnectionFailed += (_, e) =>
                logger.LogWarning("Redis connection to {Endpoint} failed: {FailureType}", e.EndPoint, e.FailureType);
            multiplexer.ConnectionRestored += (_, e) =>
                logger.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
            return multiplexer;
        });
    }

    public string StoreName => "redis";

    public bool IsShared => true;

    public Task<ConnectionMultiplexer> GetConnectionAsync() => connection.Value;

    public async Task<CacheProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var multiplexer = await connection.Value.WaitAsync(cancellationToken);
            if (!multiplexer.IsConnected)
            {
                return CacheProbeResult.Failure("Redis is not connected.");
            }

            var database = multiplexer.GetDatabase();
            var key = $"dw:ready-probe:{Guid.NewGuid():N}";
            var value = Guid.NewGuid().ToString("N");
            await database.StringSetAsync(key, value, ProbeLifetime).WaitAsync(cancellationToken);
            var read = await database.StringGetAsync(key).WaitAsync(cancellationToken);
            await database.KeyDeleteAsync(key).WaitAsync(cancellationToken);
            return read == value
                ? CacheProbeResult.Success
                : CacheProbeResult.Failure("Cache store did not round-trip the readiness probe value.");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return CacheProbeResult.Failure(ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (connection.IsValueCreated)
        {
            var multiplexer = await connection.Value;
            await multiplexer.DisposeAsync();
        }
    }
}
