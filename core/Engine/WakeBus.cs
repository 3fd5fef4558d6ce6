using System.Collections.Concurrent;
using DurableWorkflow.Core.Coordination;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// Wakes long-polls when work appears. Signals reach waiters on this node directly and other nodes through one
/// Redis pub/sub channel. They are hints only: a waiter always re-probes the database on its own interval, so a
/// lost or late signal costs latency, never a task. A channel has two kinds of waiters. Watchers
/// (<see cref="Subscribe"/>) all wake on every signal. Claimants (<see cref="Compete"/>: parked task polls, which
/// compete for the same rows) wake one per task a signal announces, so one new task costs one claim on each node rather
/// than one per parked poll; a claimant that then finds nothing it can take wakes the others (see
/// <see cref="LongPoll.WaitToClaimAsync{T}"/>), so a task only some of them may claim still reaches one that can.
/// </summary>
public sealed class WakeBus : IAsyncDisposable
{
    private static readonly RedisChannel WakeRedisChannel = RedisChannel.Literal("dw:wake");

    /// <summary>
    /// How many times one commit's signal for a channel is sent to other nodes at most: one message per task it made
    /// claimable, up to this many. A larger batch wakes this many claimants on each node, and each poll that returns a
    /// task comes back and claims the next one in its first probe.
    /// </summary>
    private const int MaxRemoteMessagesPerChannel = 32;

    private readonly ConcurrentDictionary<string, ChannelWaiters> waiters = new(StringComparer.Ordinal);
    private readonly RedisCoordinationCache? redis;
    private readonly ILogger<WakeBus> logger;
    private readonly Lazy<Task<ISubscriber?>> subscriber;
    private readonly TimeProvider clock;
    private readonly CancellationTokenSource stopping = new();
    private readonly OwnWakeEchoes echoes = new();
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

    /// <summary>
    /// Registers a watcher, woken by every signal on its channels, before the caller probes the database, so a signal
    /// between probe and wait is kept.
    /// </summary>
    public WakeSubscription Subscribe(IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        return Register(new WakeSubscription(this, channels, competing: false));
    }

    /// <summary>
    /// Registers a claimant of <paramref name="channel"/>: of the claimants waiting on a channel, a signal wakes as many
    /// as it announces tasks, the longest-waiting first. Like <see cref="Subscribe"/>, taken before the first probe.
    /// </summary>
    public WakeSubscription Compete(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return Register(new WakeSubscription(this, [channel], competing: true));
    }

    /// <summary>Signals after the writing transaction committed, one task per channel; never throws, never blocks the writer.</summary>
    public void Publish(IReadOnlyCollection<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        Publish(channels.Select(channel => KeyValuePair.Create(channel, 1)).ToList());
    }

    /// <summary>
    /// Signals after the writing transaction committed, each channel with the number of tasks the commit made claimable
    /// on it (which bounds how many of its claimants wake); never throws, never blocks the writer.
    /// </summary>
    public void Publish(IReadOnlyCollection<KeyValuePair<string, int>> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        foreach (var (channel, tasks) in signals)
        {
            SignalLocal(channel, tasks);
        }

        if (redis is not null && signals.Count > 0)
        {
            _ = PublishRemoteAsync(signals);
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
    /// Wakes every waiter of this node on a channel, claimants included, without telling other nodes: each node's shared
    /// queue probe finds unsignalled work for its own parked polls, and cannot tell which of them may claim it.
    /// </summary>
    public void Nudge(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (waiters.TryGetValue(channel, out var set))
        {
            set.SignalAll();
        }
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
            if (waiters.TryGetValue(channel, out var set) && set.Remove(subscription))
            {
                // Emptied and closed: dropped, so channels of finished runs and polls do not pile up.
                waiters.TryRemove(KeyValuePair.Create(channel, set));
            }
        }
    }

    /// <summary>Wakes the other claimants of the channel: the one that was woken found nothing it could take.</summary>
    internal void WakeOtherClaimants(WakeSubscription claimant)
    {
        if (waiters.TryGetValue(claimant.Channels[0], out var set))
        {
            set.SignalClaimants(except: claimant);
        }
    }

    /// <summary>A claimant left holding a wake it never acted on: another claimant of the channel gets it.</summary>
    internal void HandOn(WakeSubscription claimant) => SignalLocal(claimant.Channels[0], 1);

    private WakeSubscription Register(WakeSubscription subscription)
    {
        _ = subscriber.Value;
        foreach (var channel in subscription.Channels)
        {
            while (true)
            {
                var set = waiters.GetOrAdd(channel, _ => new ChannelWaiters());
                if (set.TryAdd(subscription))
                {
                    break;
                }

                // Its last waiter left between the lookup and the add, so it is closed and on its way out: replace it.
                waiters.TryRemove(KeyValuePair.Create(channel, set));
            }
        }

        return subscription;
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

    private void SignalLocal(string channel, int tasks)
    {
        if (waiters.TryGetValue(channel, out var set))
        {
            set.Signal(tasks);
        }
    }

    private void SignalAll()
    {
        foreach (var set in waiters.Values)
        {
            set.SignalAll();
        }
    }

    /// <summary>
    /// One message per task (up to <see cref="MaxRemoteMessagesPerChannel"/>), each only the channel's name: the format
    /// nodes of every version read, where one message is one signal.
    /// </summary>
    private async Task PublishRemoteAsync(IReadOnlyCollection<KeyValuePair<string, int>> signals)
    {
        try
        {
            if (await subscriber.Value is { } sub)
            {
                foreach (var (channel, tasks) in signals)
                {
                    for (var i = 0; i < Math.Clamp(tasks, 1, MaxRemoteMessagesPerChannel); i++)
                    {
                        echoes.Expect(channel);
                        await sub.PublishAsync(WakeRedisChannel, channel, CommandFlags.FireAndForget);
                    }
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
            multiplexer.ConnectionFailed += (_, _) =>
            {
                remoteConnected = false;
                echoes.Forget();
            };
            multiplexer.ConnectionRestored += (_, _) =>
            {
                // Signals published while the connection was down are lost: every waiter looks once more.
                remoteConnected = multiplexer.IsConnected;
                echoes.Forget();
                SignalAll();
            };
            var sub = multiplexer.GetSubscriber();
            await sub.SubscribeAsync(WakeRedisChannel, (_, message) =>
            {
                if (message.HasValue && !echoes.TryConsume(message.ToString()))
                {
                    SignalLocal(message.ToString(), 1);
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
    private TaskCompletionSource<bool> signalled = NewSource();
    private volatile bool waiting;

    internal WakeSubscription(WakeBus bus, IReadOnlyList<string> channels, bool competing)
    {
        this.bus = bus;
        Channels = channels;
        Competing = competing;
    }

    public IReadOnlyList<string> Channels { get; }

    /// <summary>A claimant (<see cref="WakeBus.Compete"/>), woken by its share of a channel's signals.</summary>
    public bool Competing { get; }

    /// <summary>
    /// True when the last wake <see cref="WaitAsync"/> returned was this claimant's share of a signal: the other
    /// claimants were left asleep, so if it finds nothing it can take it should <see cref="WakeOthers"/>.
    /// </summary>
    public bool ChosenForLastWake { get; private set; }

    /// <summary>Inside <see cref="WaitAsync"/>; a signal then wakes it at once, so the bus prefers it to a probing claimant.</summary>
    public bool Waiting => waiting;

    /// <summary>Waits until a signal arrives or the timeout passes; returns true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref signalled);
        if (!current.Task.IsCompleted && timeout > TimeSpan.Zero)
        {
            waiting = true;
            try
            {
                await current.Task.WaitAsync(timeout, clock, cancellationToken);
            }
            catch (TimeoutException)
            {
                ChosenForLastWake = false;
                return false;
            }
            finally
            {
                waiting = false;
            }
        }

        var woke = current.Task.IsCompleted;
        ChosenForLastWake = woke && await current.Task;
        if (woke)
        {
            Interlocked.CompareExchange(ref signalled, NewSource(), current);
        }

        return woke;
    }

    /// <summary>Wakes the channel's other claimants; a no-op for a watcher.</summary>
    public void WakeOthers()
    {
        if (Competing)
        {
            bus.WakeOtherClaimants(this);
        }
    }

    public void Dispose()
    {
        bus.Remove(this);
        // Only a completed wake is read, so this never waits: a pending chosen one (true) is handed on.
        var pending = Volatile.Read(ref signalled).Task;
        if (Competing && pending.IsCompletedSuccessfully && pending.Result)
        {
            bus.HandOn(this);
        }
    }

    /// <summary>Wakes it for every kind of signal; a wake already pending stays as it was.</summary>
    internal void Signal() => Volatile.Read(ref signalled).TrySetResult(false);

    /// <summary>Gives this claimant one task's wake; false when it already has one pending.</summary>
    internal bool TryChoose() => Volatile.Read(ref signalled).TrySetResult(true);

    private static TaskCompletionSource<bool> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
