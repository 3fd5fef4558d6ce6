using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The kind-specific halves of one admitted poll: claim a task (recording it under the poll's reservation, if any)
/// and build its payload in the transaction it is given, which the caller owns: the claim commits it when it claimed,
/// writes nothing when nothing was claimable, and leaves a refused claim for the caller to roll back (see
/// <see cref="PollClaim{T}"/>); and replay the task a recorded poll answer carried, while that lease is still the
/// worker's. A claim asked to look (its <c>bool</c>) reports, when it finds nothing, what it saw on the queue
/// (<see cref="PollClaim{T}.Look"/>).
/// </summary>
public sealed record TaskPoll(
    Func<PollReservation?, EngineTransaction, bool, CancellationToken, Task<PollClaim<JsonObject>>> ClaimAsync,
    Func<PollRequestRecord, CancellationToken, Task<JsonObject?>> ReplayAsync);
