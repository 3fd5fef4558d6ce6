namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>Why a fire is attempted: the due tick, a buffered drain, the trigger route, or one backfill occurrence.</summary>
public enum FireKind
{
    Tick,
    Drain,
    Manual,
    Backfill,
}

/// <summary>One fire attempt. <see cref="Occurrence"/> is the stale <c>next_fire_at</c> a tick read (re-checked under the lock).</summary>
public sealed record FireRequest(string ScheduleRef, FireKind Kind, DateTimeOffset? Occurrence = null, string? OverlapOverride = null);

/// <summary>
/// What a fire did. <c>not_due</c> means another actor got there first and nothing was written.
/// Outcomes: triggered, drained, backfilled, buffered, buffer_full, skipped, failed, not_due.
/// </summary>
public sealed record FireResult(string Outcome)
{
    public string? WorkflowId { get; init; }

    public string? RunId { get; init; }

    public string? Reason { get; init; }

    public int? BufferDepth { get; init; }

    public DateTimeOffset? Occurrence { get; init; }

    public bool Started => WorkflowId is not null;

    public static FireResult NotDue { get; } = new("not_due");
}
