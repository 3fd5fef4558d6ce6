namespace DurableWorkflow.Core.Engine;

/// <summary>
/// What the poll path asks of a task kind beyond its claim. For the shared per-queue probe loop: return expired leases
/// of the queue to ready (returns how many), and how long until the queue next needs a look (a task becoming claimable,
/// a lease running out; zero or less: now; null: nothing waits). For a poll's first probe that claimed nothing: look up
/// the queue's expired leases in the claim's own transaction (<see cref="FindExpiredAsync"/>), to be recovered once it
/// committed.
/// </summary>
public sealed record QueueProbe(
    Func<string, string, CancellationToken, Task<int>> RecoverExpiredAsync,
    Func<string, string, CancellationToken, Task<TimeSpan?>> NextAvailableAsync,
    Func<EngineTransaction, string, string, CancellationToken, Task<FoundExpiredLeases>> FindExpiredAsync);
