namespace DurableWorkflow.Core.Engine.Timers;

/// <summary>
/// What one timer-pump pass did, and how long until the next known timer or run deadline comes due (null: none is
/// scheduled; zero: a batch was full, look again at once).
/// </summary>
public sealed record TimerPass(int Fired, int TimedOut, TimeSpan? NextDueIn);
