namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The long-poll loop shared by workflow, activity and query polls (rollout contract §10.4): probe the database,
/// recover expired leases when nothing is claimable, then sleep until a wake signal or the one-second re-probe,
/// whichever comes first, until the hold time runs out. The subscription is taken before the first probe so a
/// signal that lands between a probe and the wait is not lost.
/// </summary>
public static class LongPoll
{
    public const int MaxHoldSeconds = 60;

    /// <summary>The re-probe also finds work that nothing signals, such as a retry whose back-off ran out.</summary>
    public static readonly TimeSpan ReprobeInterval = TimeSpan.FromSeconds(1);

    /// <summary>The requested hold clamped to 0–60 s (0 = a single immediate probe), else the server default.</summary>
    public static TimeSpan Hold(int? requestedSeconds, int defaultSeconds) =>
        TimeSpan.FromSeconds(Math.Clamp(requestedSeconds ?? defaultSeconds, 0, MaxHoldSeconds));

    public static async Task<T?> RunAsync<T>(
        WakeBus wakeBus,
        TimeProvider clock,
        string channel,
        TimeSpan hold,
        Func<CancellationToken, Task<T?>> probe,
        Func<CancellationToken, Task<int>> recoverExpired,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(wakeBus);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(recoverExpired);
        var deadline = clock.GetUtcNow() + hold;
        using var wake = wakeBus.Subscribe([channel]);
        while (true)
        {
            if (await probe(cancellationToken) is { } found)
            {
                return found;
            }

            if (await recoverExpired(cancellationToken) > 0)
            {
                continue;
            }

            var remaining = deadline - clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            await wake.WaitAsync(remaining < ReprobeInterval ? remaining : ReprobeInterval, clock, cancellationToken);
        }
    }
}
