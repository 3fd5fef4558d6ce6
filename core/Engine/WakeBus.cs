using System.Collections.Concurrent;
using DurableWorkflow.Core.Coordination;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// Wakes long-polls when work appears. Signals reach waiters on this node directly and other nodes through one
/// Redis pub/sub channel. They are hints only: a waiter always re-probes the database on its own interval, so a
/// lost or late signal costs latency, never a task.
/// </summary>
public sealed class WakeBus : IAsyncDisposable
{
    private static readonly RedisChannel WakeRedisChannel = RedisChannel.Literal("dw:wake");

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<WakeSubscription, byte>> waiters = new(StringComparer.Ordinal);
    private readonly RedisCoordinationCache? redis;
    private readonly ILogger<WakeBus> logger;
    private readonly Lazy<Task<ISubscriber?>> subscriber;
    private readonly TimeProvider clock;
    private readonly CancellationTokenSource stopping = new();
    private volatile bool remoteConnected;

    public WakeBus(ICoordinationCache cache, ILogger<WakeBus> logger, TimeProvider? clock = null)
    {
        redis = cache as RedisCoordinationCache;
        this.logger = logger;
        this.clock = clock ?? TimeProvider.System;
        subscriber = new Lazy<Task<ISubscriber?>>(ConnectAsync);
    }

    /// <summary>
    /// True while this node's Redis subscription is connected, so commits on other nodes reach its waiters as signals.
    /// Background looks that only catch what nothing signalled (queue probe loops, the timer pump) may then sleep longer;
    /// without it they look often enough to find other nodes' work on their own.
    /// </summary>
    public bool ReceivesRemoteSignals => remoteConnected;

    /// <summary>Registers interest before the caller probes the database, so a signal between probe and wait is kept.</summary>
    public WakeSubscription Subscribe(IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _ = subscriber.Value;
        var subscription = new WakeSubscription(this, channels);
        foreach (var channel in channels)
        {
            waiters.GetOrAdd(channel, _ => new ConcurrentDictionary<WakeSubscription, byte>())[subscription] = 0;
        }

        return subscription;
    }

    /// <summary>Signals after the writing transaction committed; never throws, never blocks the writer.</summary>
    public void Publish(IReadOnlyCollection<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        foreach (var channel in channels)
        {
            SignalLocal(channel);
        }

        if (redis is not null && channels.Count > 0)
        {
            _ = PublishRemoteAsync(channels);
        }
    }

    /// <summary>
    /// Publishes <paramref name="channel"/> once <paramref name="delay"/> has passed: a task that becomes claimable
    /// later (a retry back-off) is announced when it does. Dropped when the bus is disposed first.
    /// </summary>
    public void PublishAfter(string channel, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _ = PublishLaterAsync(channel, delay);
    }

    /// <summary>
    /// Wakes this node's waiters on a channel without telling other nodes: each node's shared queue probe finds
    /// unsignalled work for its own parked polls.
    /// </summary>
    public void Nudge(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        SignalLocal(channel);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        stopping.Dispose();
        if (subscriber.IsValueCreated && await subscriber.Value is { } sub)
        {
            try
            {
                await sub.UnsubscribeAsync(WakeRedisChannel);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Shutting down while Redis is gone: the subscription dies with the connection anyway.
                logger.LogDebug(ex, "Wake subscription not removed from Redis at shutdown");
            }
        }
    }

    internal void Remove(WakeSubscription subscription)
    {
        foreach (var channel in subscription.Channels)
        {
            if (waiters.TryGetValue(channel, out var set))
            {
                set.TryRemove(subscription, out _);
            }
        }
    }

    private async Task PublishLaterAsync(string channel, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, clock, stopping.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }

        Publish([channel]);
    }

    private void SignalLocal(string channel)
    {
        if (waiters.TryGetValue(channel, out var set))
        {
            foreach (var subscription in set.Keys)
            {
                subscription.Signal();
            }
        }
    }

    private void SignalAll()
    {
        foreach (var set in waiters.Values)
        {
            foreach (var subscription in set.Keys)
            {
                subscription.Signal();
            }
        }
    }

    private async Task PublishRemoteAsync(IReadOnlyCollection<string> channels)
    {
        try
        {
            if (await subscriber.Value is { } sub)
            {
                foreach (var channel in channels)
                {
                    await sub.PublishAsync(WakeRedisChannel, channel, CommandFlags.FireAndForget);
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            logger.LogDebug(ex, "Wake signal not published to Redis; other nodes fall back to their re-probe interval");
        }
    }

    private async Task<ISubscriber?> ConnectAsync()
    {
        if (redis is null)
        {
            return null;
        }

        try
        {
            var multiplexer = await redis.GetConnectionAsync();
            multiplexer.ConnectionFailed += (_, _) => remoteConnected = false;
            multiplexer.ConnectionRestored += (_, _) =>
            {
                // Signals published while the connection was down are lost: every waiter looks once more.
                remoteConnected = multiplexer.IsConnected;
                SignalAll();
            };
            var sub = multiplexer.GetSubscriber();
            await sub.SubscribeAsync(WakeRedisChannel, (_, message) =>
            {
                if (message.HasValue)
                {
                    SignalLocal(message.ToString());
                }
            });
            remoteConnected = multiplexer.IsConnected;
            return sub;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Redis wake subscription unavailable; long-polls rely on their re-probe interval");
            return null;
        }
    }
}

/// <summary>One waiter's interest in a set of channels; dispose it when the long-poll ends.</summary>
public sealed class WakeSubscription : IDisposable
{
    private readonly WakeBus bus;
    private TaskCompletionSource signalled = NewSource();

    internal WakeSubscription(WakeBus bus, IReadOnlyList<string> channels)
    {
        this.bus = bus;
        Channels = channels;
    }

    public IReadOnlyList<string> Channels { get; }

    /// <summary>Waits until a signal arrives or the timeout passes; returns true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref signalled);
        if (!current.Task.IsCompleted && timeout > TimeSpan.Zero)
        {
            try
            {
                await current.Task.WaitAsync(timeout, clock, cancellationToken);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        var woke = current.Task.IsCompleted;
        if (woke)
        {
            Interlocked.CompareExchange(ref signalled, NewSource(), current);
        }

        return woke;
    }

    public void Dispose() => bus.Remove(this);

    internal void Signal() => Volatile.Read(ref signalled).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
