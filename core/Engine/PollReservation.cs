namespace DurableWorkflow.Core.Engine;

/// <summary>
/// A poll's hold on its <c>workflow_poll_requests</c> key: the hashed key and an id naming this one poll, so only the
/// holder records a claim or an empty answer and a takeover of an expired reservation fences the old holder out.
/// <see cref="Namespace"/> and <see cref="Poll"/> fill the row when the claim's own transaction is the first to take
/// the key (<see cref="PollRequestStore.RecordClaimCte"/>).
/// </summary>
public sealed record PollReservation(byte[] Key, string Id, string Namespace, AdmittedPoll Poll);
