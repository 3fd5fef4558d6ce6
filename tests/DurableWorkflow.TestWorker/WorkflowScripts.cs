using System.Text.Json.Nodes;

namespace DurableWorkflow.TestWorker;

/// <summary>
/// A scripted workflow definition: a pure function from the replayed history to the next command batch, which is how
/// an SDK's deterministic replay looks from the server's side.
/// </summary>
public delegate IReadOnlyList<JsonObject> WorkflowScript(WorkflowReplay replay);

/// <summary>What a workflow sees when it replays a task: its input and the outcomes recorded so far.</summary>
public sealed class WorkflowReplay
{
    public WorkflowReplay(WorkflowTask task, IReadOnlyList<JsonObject> history)
    {
        Task = task ?? throw new ArgumentNullException(nameof(task));
        History = history ?? throw new ArgumentNullException(nameof(history));
        Arguments = Payloads.DecodeArguments(task.Json["arguments"]);
        ActivityResults = [.. Of("ActivityCompleted").Select(e => Payloads.Decode(e["payload"]?["result"]))];
        Signals = [.. Of("SignalReceived").Select(e => new ReplayedSignal(
            (string)e["payload"]!["signal_name"]!,
            Payloads.DecodeArguments(e["payload"]?["arguments"])))];
    }

    public WorkflowTask Task { get; }

    /// <summary>Every history event up to the task's cutoff, oldest first (all pages).</summary>
    public IReadOnlyList<JsonObject> History { get; }

    /// <summary>The run's start input (task <c>arguments</c>), decoded.</summary>
    public JsonArray Arguments { get; }

    /// <summary>Decoded <c>ActivityCompleted.result</c> values in history order.</summary>
    public IReadOnlyList<JsonNode?> ActivityResults { get; }

    public IReadOnlyList<ReplayedSignal> Signals { get; }

    public int TimersFired => Count("TimerFired");

    public int Count(string eventType) => History.Count(e => (string?)e["event_type"] == eventType);

    public IEnumerable<JsonObject> Of(string eventType) => History.Where(e => (string?)e["event_type"] == eventType);
}

public sealed record ReplayedSignal(string Name, JsonArray Arguments);

/// <summary>Ready-made definitions used by the tests and the benchmark.</summary>
public static class WorkflowScripts
{
    /// <summary>Completes on the first task with <paramref name="result"/>.</summary>
    public static WorkflowScript CompleteWith(JsonNode? result) =>
        _ => [Commands.CompleteWorkflow(result?.DeepClone())];

    /// <summary>Schedules one activity with the workflow's own arguments, then completes with the activity's result.</summary>
    public static WorkflowScript OneActivity(string activityType, string queue) =>
        replay => replay.ActivityResults.Count == 0
            ? [Commands.ScheduleActivity(activityType, queue, (JsonArray)replay.Arguments.DeepClone())]
            : [Commands.CompleteWorkflow(replay.ActivityResults[0]?.DeepClone())];

    /// <summary>Sleeps <paramref name="seconds"/> on a durable timer, then completes with <paramref name="result"/>.</summary>
    public static WorkflowScript SleepThenComplete(int seconds, JsonNode? result) =>
        replay => replay.TimersFired == 0
            ? [Commands.StartTimer(seconds)]
            : [Commands.CompleteWorkflow(result?.DeepClone())];

    /// <summary>
    /// Waits on a condition satisfied by signal <paramref name="signalName"/> (Python's <c>wait_condition</c>), then
    /// completes with the signal's first argument.
    /// </summary>
    public static WorkflowScript AwaitSignal(string signalName, string conditionKey, int timeoutSeconds) =>
        replay => replay.Signals.FirstOrDefault(s => s.Name == signalName) is { } signal
            ? [Commands.CompleteWorkflow(signal.Arguments.Count > 0 ? signal.Arguments[0]?.DeepClone() : null)]
            : [Commands.OpenConditionWait(conditionKey, timeoutSeconds)];

    /// <summary>
    /// The rolling-upgrade drill's workflow, one new command per task: wait for signal <paramref name="signalName"/>,
    /// run one activity with the workflow's arguments, sleep <paramref name="timerSeconds"/> on a durable timer, then
    /// complete with <c>[activity result, first signal argument]</c>. A task that finds nothing left to do (a second
    /// signal, say) completes with <c>{"unexpected": event types}</c>, so a duplicate shows up as a wrong result.
    /// </summary>
    public static WorkflowScript SignalActivityTimer(string signalName, string activityType, string queue, int timerSeconds, int waitTimeoutSeconds) =>
        replay =>
        {
            var signal = replay.Signals.FirstOrDefault(s => s.Name == signalName);
            // A condition wait with a timeout schedules its own timer (cancelled when the signal satisfies it).
            var ownTimers = replay.Count("TimerScheduled") - replay.Count("ConditionWaitOpened");
            JsonObject? next = (signal, replay.Count("ConditionWaitOpened"), replay.Count("ActivityScheduled"), replay.ActivityResults.Count,
                ownTimers, replay.TimersFired) switch
            {
                (null, 0, _, _, _, _) => Commands.OpenConditionWait(signalName, waitTimeoutSeconds),
                (not null, _, 0, _, _, _) => Commands.ScheduleActivity(activityType, queue, (JsonArray)replay.Arguments.DeepClone()),
                (not null, _, 1, 1, 0, _) => Commands.StartTimer(timerSeconds),
                (not null, _, 1, 1, 1, 1) => Commands.CompleteWorkflow(new JsonArray(
                    replay.ActivityResults[0]?.DeepClone(), signal.Arguments.Count > 0 ? signal.Arguments[0]?.DeepClone() : null)),
                _ => null,
            };
            return [next ?? Commands.CompleteWorkflow(new JsonObject
            {
                ["unexpected"] = new JsonArray([.. replay.History.Select(e => (JsonNode?)(string?)e["event_type"])]),
            })];
        };
}
