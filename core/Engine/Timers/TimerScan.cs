namespace DurableWorkflow.Core.Engine.Timers;

/// <summary>
/// What one timer-pump look found: due timer tasks, open runs past their deadline, and how long until the next timer
/// or run deadline comes due (null when nothing is scheduled).
/// </summary>
public sealed record TimerScan(IReadOnlyList<(string TaskId, string RunId)> DueTimers, IReadOnlyList<string> OverdueRuns, TimeSpan? NextDueIn);
