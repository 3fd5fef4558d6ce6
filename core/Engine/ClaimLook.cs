namespace DurableWorkflow.Core.Engine;

/// <summary>
/// What a parked poll's claim that came up empty saw on its queue, in the claim's own statement and snapshot, ignoring
/// the locks the claim skips.
/// <see cref="Mine"/>: a task due now that this worker may claim, so the claim skipped it because a concurrent claim or
/// transition of its run held the lock; a moment later it is claimable. <see cref="Any"/>: any task due now on the queue,
/// perhaps one only other workers may claim (another type, build or cohort).
/// </summary>
public readonly record struct ClaimLook(bool Mine, bool Any);
