namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The one wait primitive of the server (rollout contract §10.4): every request that waits for something to appear in
/// the database — a task to claim, a history event, an update outcome, a query answer, a duplicate poll's answer —
/// probes, then sleeps until a wake signal or its re-probe interval, until its hold runs out. Wake signals only shorten
/// the wait: the re-probe finds whatever no signal announced, so a lost signal costs latency, never a result. While it
/// sleeps a waiter holds no database connection.
/// </summary>
public static class LongPoll
{
    public const int MaxHoldSeconds = 60;

    /// <summary>
    /// How often a waiter looks again without a signal. Signals (in-process and Redis) make waits short; the re-probe
    /// only catches what nothing signals, so it can be long and keep idle waiters cheap.
    /// </summary>
    public static readonly TimeSpan ReprobeInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the shared background looks (queue probe loops, the timer pump) sleep at most while Redis carries other
    /// nodes' signals to this node (<see cref="WakeBus.ReceivesRemoteSignals"/>). They also wake for every known due
    /// time (a back-off, a lease expiry, a timer), so this bound only limits how late a lost signal is made up for, and
    /// keeps an idle node at a statement per half minute per loop.
    /// </summary>
    public static readonly TimeSpan SignalledReprobeInterval = TimeSpan.FromSeconds(30);

    /// <summary>The re-probe bound of the shared background looks on a node with or without Redis wake signals.</summary>
    public static TimeSpan BackgroundReprobeInterval(WakeBus wakeBus)
    {
        ArgumentNullException.ThrowIfNull(wakeBus);
        return wakeBus.ReceivesRemoteSignals ? SignalledReprobeInterval : ReprobeInterval;
    }

    /// <summary>The requested hold clamped to 0–60 s (0 = a single immediate probe), else the server default.</summary>
    public static TimeSpan Hold(int? requestedSeconds, int defaultSeconds) =>
        TimeSpan.FromSeconds(Math.Clamp(requestedSeconds ?? defaultSeconds, 0, MaxHoldSeconds));

    /// <summary>
    /// Probes until <paramref name="probe"/> finds something or <paramref name="hold"/> runs out (then null). The
    /// subscription is taken before the first probe, so a signal that lands between a probe and the wait is kept and
    /// the next wait returns at once. The last probe happens at the deadline, so work that appeared during the final
    /// sleep is still answered. It looks again every <see cref="ReprobeInterval"/> without a signal. Parked task polls,
    /// whose re-probe the queue's probe loop does for them, wait with <see cref="WaitToClaimAsync{T}"/> instead.
    /// </summary>
    public static async Task<T?> WaitForAsync<T>(
        WakeBus wakeBus,
        TimeProvider clock,
        IReadOnlyList<string> channels,
        TimeSpan hold,
        Func<CancellationToken, Task<T?>> probe,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(wakeBus);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(probe);
        var deadline = clock.GetUtcNow() + hold;
        using var wake = wakeBus.Subscribe(channels);
        while (true)
        {
            if (await probe(cancellationToken) is { } found)
            {
                return found;
            }

            var remaining = deadline - clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            await wake.WaitAsync(remaining < ReprobeInterval ? remaining : ReprobeInterval, clock, cancellationToken);
        }
    }

    /// <summary>
    /// <see cref="WaitForAsync{T}"/> for a parked task poll, a claimant of <paramref name="channel"/>
    /// (<see cref="WakeBus.Compete"/>) that never re-probes on a timer: a signal wakes only as many parked polls as it
    /// announces tasks. <paramref name="probe"/> answers what it claimed, or what its empty claim saw on the queue
    /// (<see cref="ClaimLook"/>). When a poll woken that way claims nothing: a task it may claim means the claim skipped
    /// a run another transaction held, so it claims again after a short pause (<see cref="CollisionRetries"/>); a task
    /// only other workers may claim (another type, build or cohort), or one still skipped after those retries, wakes the
    /// channel's other parked polls, as a signal to all would have; nothing due means another poll took the task. A
    /// woken poll that leaves without acting on its wake hands it to another.
    /// </summary>
    public static async Task<T?> WaitToClaimAsync<T>(
        WakeBus wakeBus,
        TimeProvider clock,
        string channel,
        TimeSpan hold,
        Func<CancellationToken, Task<(T? Found, ClaimLook Look)>> probe,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(wakeBus);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(probe);
        var deadline = clock.GetUtcNow() + hold;
        using var wake = wakeBus.Compete(channel);
        var retries = 0;
        while (true)
        {
            var (found, seen) = await probe(cancellationToken);
            if (found is not null)
            {
                return found;
            }

            var remaining = deadline - clock.GetUtcNow();
            if ((wake.ChosenForLastWake || retries > 0) && remaining > TimeSpan.Zero)
            {
                if (seen.Mine && retries < CollisionRetries.Length)
                {
                    var pause = CollisionRetries[retries++];
                    await Task.Delay(pause < remaining ? pause : remaining, clock, cancellationToken);
                    continue;
                }

                if (seen.Any)
                {
                    wake.WakeOthers();
                }
            }

            retries = 0;
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            await wake.WaitAsync(remaining, clock, cancellationToken);
        }
    }

    /// <summary>
    /// The pauses before a woken poll claims again when its claim skipped a task it may take (see
    /// <see cref="ClaimLook.Mine"/>): a sibling task's claim holds the run for a few milliseconds.
    /// </summary>
    private static readonly TimeSpan[] CollisionRetries =
        [TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(160), TimeSpan.FromMilliseconds(640)];
}
