namespace DurableWorkflow.Core.Scheduling;

/// <summary>One unit of scheduler work run inside the tick's lease (schedules, activity timeouts, retention, repair).</summary>
public interface ISchedulerPass
{
    string Name { get; }

    /// <summary>
    /// Does a bounded amount of work and returns a one-line summary for the invocation log. Every write transaction
    /// proves the lease through <paramref name="fence"/> first, so a holder that lost the lease writes nothing.
    /// </summary>
    Task<string> RunAsync(SchedulerFence fence, CancellationToken cancellationToken);
}
