namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The expired leases a poll's first probe found on its queue, read in the claim's transaction.
/// <see cref="RecoverAsync"/> returns them to ready once that transaction has committed (each lease in a transaction of
/// its own, see <see cref="ExpiredLeases"/>) and answers how many went back.
/// </summary>
public sealed record FoundExpiredLeases(Func<CancellationToken, Task<int>> RecoverAsync)
{
    public static readonly FoundExpiredLeases None = Released(0);

    /// <summary>Leases the lookup's own statement already released in the claim's transaction (query tasks).</summary>
    public static FoundExpiredLeases Released(int count) => new(_ => Task.FromResult(count));
}
