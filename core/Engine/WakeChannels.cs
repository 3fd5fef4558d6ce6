namespace DurableWorkflow.Core.Engine;

/// <summary>Names of the wake channels a write signals and a long-poll waits on (rollout contract §10.2).</summary>
public static class WakeChannels
{
    public static string WorkflowTasks(string ns, string queue) => $"workflow-tasks:{ns}:{queue}";

    public static string ActivityTasks(string ns, string queue) => $"activity-tasks:{ns}:{queue}";

    public static string QueryTasks(string ns, string queue) => $"query-tasks:{ns}:{queue}";

    public static string History(string runId) => $"history:{runId}";

    public static string QueryResult(string queryTaskId) => $"query-result:{queryTaskId}";

    public static string Update(string updateId) => $"update:{updateId}";

    /// <summary>Signalled when the poll holding a <c>poll_request_id</c> answers, so its duplicates stop waiting.</summary>
    public static string PollRequest(byte[] requestKey) => $"poll-request:{Convert.ToHexStringLower(requestKey)}";

    /// <summary>Signalled when a timer is scheduled, so the timer pump can shorten its sleep.</summary>
    public const string Timers = "timers";
}
