using DurableWorkflow.Core.Workers;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// One probe loop per (kind, namespace, queue) on this node, shared by every poll parked on that queue, alive while at
/// least one is parked. Parked polls do not re-probe on their own: they wait for a wake signal, and this loop is what
/// makes that safe without signals. Every <see cref="LongPoll.ReprobeInterval"/> (or sooner, when the earliest ready
/// task's <c>available_at</c> comes first) it returns the queue's expired leases to ready and, if claimable work exists
/// that nothing signalled (a back-off that ran out, a signal lost with Redis), wakes the queue's parked polls locally so
/// each claims. An idle parked poll therefore costs no database work at all; the loop costs about two statements per
/// interval per queue. Work that stays unclaimable by the parked workers (e.g. a type none of them supports) wakes
/// them once per interval, bounding them at one claim attempt per poll per interval.
/// </summary>
public sealed class QueueProbeLoops : IAsyncDisposable
{
    /// <summary>Expired poll request rows are purged on every this-many-th tick of any loop.</summary>
    private const int PurgeEveryTicks = 12;

    private static readonly TimeSpan ShortestSleep = TimeSpan.FromMilliseconds(20);

    private readonly NpgsqlDataSource dataSource;
    private readonly WakeBus wakeBus;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly Dictionary<(PollKind Kind, string Namespace, string Queue), Loop> loops = [];
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationToken stoppingToken;
    private int ticks;

    public QueueProbeLoops(NpgsqlDataSource dataSource, WakeBus wakeBus, TimeProvider clock, ILogger logger)
    {
        this.dataSource = dataSource;
        this.wakeBus = wakeBus;
        this.clock = clock;
        this.logger = logger;
        stoppingToken = stopping.Token;
    }

    /// <summary>How many queues have a loop running; for tests and diagnostics.</summary>
    public int Running
    {
        get
        {
            lock (gate)
            {
                return loops.Count;
            }
        }
    }

    /// <summary>Counts a poll as parked on the queue until the returned handle is disposed; starts the loop if needed.</summary>
    public IDisposable Park(PollKind kind, string ns, string queue, string channel, QueueProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var key = (kind, ns, queue);
        lock (gate)
        {
            if (!loops.TryGetValue(key, out var loop))
            {
                loop = new Loop(key, channel, probe, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
                loops[key] = loop;
                loop.Task = Task.Run(() => RunAsync(loop));
            }

            loop.Parked++;
            return new Parked(this, loop);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Task> running;
        lock (gate)
        {
            running = [.. loops.Values.Select(l => l.Task!)];
        }

        await stopping.CancelAsync();
        await Task.WhenAll(running);
        stopping.Dispose();
    }

    private void Unpark(Loop loop)
    {
        lock (gate)
        {
            if (--loop.Parked > 0)
            {
                return;
            }

            loops.Remove(loop.Key);
            loop.Stop.Cancel();
            loop.Stop.Dispose();
        }
    }

    private async Task RunAsync(Loop loop)
    {
        var (kind, ns, queue) = loop.Key;
        var token = loop.Token;
        logger.QueueProbeStarted(kind, ns, queue);
        try
        {
            // The poll that started the loop has just probed and recovered itself, so the first tick waits an interval.
            var sleep = LongPoll.ReprobeInterval;
            while (true)
            {
                await Task.Delay(sleep, clock, token);
                sleep = await TickAsync(loop, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            logger.QueueProbeStopped(kind, ns, queue);
        }
    }

    /// <summary>One pass over the queue; returns how long to sleep before the next.</summary>
    private async Task<TimeSpan> TickAsync(Loop loop, CancellationToken token)
    {
        var (kind, ns, queue) = loop.Key;
        try
        {
            var recovered = await loop.Probe.RecoverExpiredAsync(ns, queue, token);
            if (recovered > 0)
            {
                logger.QueueProbeRecoveredLeases(recovered, kind, ns, queue);
            }

            if (Interlocked.Increment(ref ticks) % PurgeEveryTicks == 0 && await PollRequestStore.PurgeExpiredAsync(dataSource, token) is > 0 and var purged)
            {
                logger.PollRequestsPurged(purged);
            }

            var next = await loop.Probe.NextAvailableAsync(ns, queue, token);
            if (recovered > 0 || next <= TimeSpan.Zero)
            {
                logger.QueueProbeFoundWork(kind, ns, queue);
                wakeBus.Nudge(loop.Channel);
            }

            // A back-off that ends before the next interval is caught when it ends, not up to an interval later.
            return next > TimeSpan.Zero && next < LongPoll.ReprobeInterval
                ? next.Value + ShortestSleep
                : LongPoll.ReprobeInterval;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException || (ex is OperationCanceledException && !token.IsCancellationRequested))
        {
            logger.QueueProbeFailed(ex, kind, ns, queue);
            return LongPoll.ReprobeInterval;
        }
    }

    private sealed class Loop((PollKind, string, string) key, string channel, QueueProbe probe, CancellationTokenSource stop)
    {
        public (PollKind Kind, string Namespace, string Queue) Key { get; } = key;

        public string Channel { get; } = channel;

        public QueueProbe Probe { get; } = probe;

        public CancellationTokenSource Stop { get; } = stop;

        /// <summary>Taken at creation: the source is disposed as soon as the last poll leaves.</summary>
        public CancellationToken Token { get; } = stop.Token;

        public int Parked { get; set; }

        public Task? Task { get; set; }
    }

    private sealed class Parked(QueueProbeLoops owner, Loop loop) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Unpark(loop);
            }
        }
    }
}
