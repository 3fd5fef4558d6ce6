namespace DurableWorkflow.Core.Engine;

/// <summary>
/// What the shared per-queue probe loop asks of a task kind: return expired leases of the queue to ready (returns how
/// many), and how long until the queue next needs a look (a task becoming claimable, a lease running out; zero or less:
/// now; null: nothing waits).
/// </summary>
public sealed record QueueProbe(
    Func<string, string, CancellationToken, Task<int>> RecoverExpiredAsync,
    Func<string, string, CancellationToken, Task<TimeSpan?>> NextAvailableAsync);
