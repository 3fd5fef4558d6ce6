using DurableWorkflow.Core.Workers;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// One probe loop per (kind, namespace, queue) on this node, shared by every poll parked on that queue, alive while
/// polls keep parking on it (it ends at the first wake-up that finds none). Parked polls do not re-probe on their own: they wait for a wake signal, and this loop is what
/// makes that safe without signals. Every <see cref="LongPoll.BackgroundReprobeInterval"/> (5 s, or 30 s while Redis
/// carries other nodes' signals), or sooner when the earliest ready task's <c>available_at</c> or the earliest lease
/// expiry of the queue comes first, it returns the queue's expired leases to ready and, if claimable work exists that
/// nothing signalled (a back-off that ran out, a signal lost with Redis), wakes the queue's parked polls locally so
/// each claims. An idle parked poll therefore costs no database work at all; the loop costs one statement per
/// interval per queue while nothing is due. Work that stays unclaimable by the parked workers (e.g. a type none of them supports) wakes
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
                loop = new Loop(key, channel, probe);
                loops[key] = loop;
                loop.Task = Task.Run(() => RunAsync(loop, stoppingToken));
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
            loop.Parked--;
        }
    }

    /// <summary>The loop ends at a wake-up that finds no poll parked, so polls arriving back to back share one loop.</summary>
    private bool Idle(Loop loop)
    {
        lock (gate)
        {
            if (loop.Parked > 0)
            {
                return false;
            }

            loops.Remove(loop.Key);
            return true;
        }
    }

    private async Task RunAsync(Loop loop, CancellationToken token)
    {
        var (kind, ns, queue) = loop.Key;
        logger.QueueProbeStarted(kind, ns, queue);

        // Subscribed like a parked poll, only to notice at once that its last poll left. A signal itself needs no look:
        // it wakes the parked polls, and a task that becomes claimable later is signalled when it does (see
        // EngineTransaction.WakeAfter), so only the passes look for what no signal announced.
        using var wake = wakeBus.Subscribe([loop.Channel]);
        try
        {
            // The poll that started the loop has just probed and recovered itself, so the first pass waits.
            var sleep = LongPoll.ReprobeInterval;
            var nextPass = clock.GetUtcNow() + sleep;
            while (true)
            {
                var signalled = await wake.WaitAsync(sleep, clock, token);
                if (Idle(loop))
                {
                    break;
                }

                // A full pass is never starved by a steady stream of signals: once due, it runs whatever woke the loop.
                if (!signalled || clock.GetUtcNow() >= nextPass)
                {
                    nextPass = clock.GetUtcNow() + await PassAsync(loop, token);
                }

                sleep = nextPass - clock.GetUtcNow();
                if (sleep < ShortestSleep)
                {
                    sleep = ShortestSleep;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            lock (gate)
            {
                loops.Remove(loop.Key);
            }
        }

        logger.QueueProbeStopped(kind, ns, queue);
    }

    /// <summary>
    /// One full pass over the queue; returns how long to sleep before the next. An idle queue costs one statement: the
    /// look at its next due time (a ready task's <c>available_at</c> or a lease's expiry); only when something is due
    /// now does the pass recover expired leases and look again.
    /// </summary>
    private async Task<TimeSpan> PassAsync(Loop loop, CancellationToken token)
    {
        var (kind, ns, queue) = loop.Key;
        var interval = LongPoll.BackgroundReprobeInterval(wakeBus);
        try
        {
            if (Interlocked.Increment(ref ticks) % PurgeEveryTicks == 0 && await PollRequestStore.PurgeExpiredAsync(dataSource, token) is > 0 and var purged)
            {
                logger.PollRequestsPurged(purged);
            }

            var next = await loop.Probe.NextAvailableAsync(ns, queue, token);
            if (next is not { } due || due > TimeSpan.Zero)
            {
                // A due time before the next interval is looked at when it comes, not up to an interval later.
                return next is { } ahead && ahead < interval ? ahead + ShortestSleep : interval;
            }

            var recovered = await loop.Probe.RecoverExpiredAsync(ns, queue, token);
            if (recovered > 0)
            {
                logger.QueueProbeRecoveredLeases(recovered, kind, ns, queue);
            }

            next = await loop.Probe.NextAvailableAsync(ns, queue, token);
            if (recovered > 0 || next <= TimeSpan.Zero)
            {
                logger.QueueProbeFoundWork(kind, ns, queue);
                wakeBus.Nudge(loop.Channel);
            }

            // Work due now hides later due times from the look, so the next pass comes at the unsignalled interval.
            return next > TimeSpan.Zero && next < interval
                ? next.Value + ShortestSleep
                : next <= TimeSpan.Zero ? LongPoll.ReprobeInterval : interval;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException || (ex is OperationCanceledException && !token.IsCancellationRequested))
        {
            logger.QueueProbeFailed(ex, kind, ns, queue);
            return LongPoll.ReprobeInterval;
        }
    }

    private sealed class Loop((PollKind, string, string) key, string channel, QueueProbe probe)
    {
        public (PollKind Kind, string Namespace, string Queue) Key { get; } = key;

        public string Channel { get; } = channel;

        public QueueProbe Probe { get; } = probe;

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
