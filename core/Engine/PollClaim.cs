namespace DurableWorkflow.Core.Engine;

/// <summary>
/// What one claim in a poll's transaction came to. <see cref="Value"/>: the claimed task. Neither (<c>default</c>):
/// nothing was claimable and nothing was written, so the transaction may carry on with the poll's other first-probe
/// work and commit. <see cref="Refused"/>: the claim leased a task but the poll's idempotency record could not take its
/// key (another poll holds it, or its answer is still current), so the lease is in the transaction, which must be
/// rolled back, never committed. <see cref="Look"/>: what a claim that found nothing saw on its queue, when it was
/// asked to look.
/// </summary>
public readonly record struct PollClaim<T>(T? Value, bool Refused, ClaimLook Look = default)
    where T : class;
