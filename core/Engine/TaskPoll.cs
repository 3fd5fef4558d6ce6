using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The kind-specific halves of one admitted poll: claim a task (recording it under the poll's reservation, if any)
/// and build its payload, in the transaction it is given and then owns (commits, or disposes to roll back); and
/// replay the task a recorded poll answer carried, while that lease is still the worker's.
/// </summary>
public sealed record TaskPoll(
    Func<PollReservation?, EngineTransaction, CancellationToken, Task<JsonObject?>> ClaimAsync,
    Func<PollRequestRecord, CancellationToken, Task<JsonObject?>> ReplayAsync);
