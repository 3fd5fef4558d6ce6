namespace DurableWorkflow.Core.Engine;

/// <summary>
/// One <c>workflow_poll_requests</c> row as a duplicate poll sees it: <c>pending</c> while its holder polls,
/// <c>completed</c> with the task it leased (or none for an empty answer). <see cref="Expired"/> is judged by the
/// database clock.
/// </summary>
public sealed record PollRequestRecord(
    string Status, string? ReservationId, string? TaskId, int? TaskAttempt, string? ActivityAttemptId, bool Expired)
{
    public bool IsPending => Status == "pending";
}
