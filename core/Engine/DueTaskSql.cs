namespace DurableWorkflow.Core.Engine;

/// <summary>
/// SQL pieces over <c>workflow_tasks t</c> joined to its run <c>r</c> that the claims of several task kinds share: a
/// ready task of a queue that is due now, and whether one exists. The arguments are the statement's placeholders.
/// </summary>
public static class DueTaskSql
{
    /// <summary>
    /// The order claims take ready tasks in, over <c>t</c>: the key order of <c>workflow_tasks_ready_claim_idx</c> after
    /// its (namespace, task type, queue) prefix, so a claim, and a look that asks in the same order, walk that index.
    /// </summary>
    public const string ClaimOrder = "t.priority, t.available_at, t.id";

    /// <summary>A ready task of the kind on the queue whose <c>available_at</c> has come.</summary>
    public static string DueOnQueue(string taskType, string ns, string queue) =>
        $"t.status = 'ready' AND t.namespace = {ns} AND t.task_type = '{taskType}' AND t.task_queue = {queue} AND t.available_at <= now()";

    /// <summary>
    /// Whether the queue has a task due now of an open run, whoever may claim it: what a poll whose claim came up empty
    /// compares with its own filter. It asks for the first such task in claim order rather than with <c>EXISTS</c>, so
    /// that on a dispatch session (sorts priced out, <c>DispatchDataSource</c>) the one plan left walks
    /// <c>workflow_tasks_ready_claim_idx</c> from the queue's head. As an <c>EXISTS</c>, under statistics taken while the
    /// backlog was empty, it walked the whole ready backlog of every queue through <c>workflow_tasks_ready_dispatch_idx</c>
    /// and scanned the open runs beside it: 3 800 buffers and 11 ms a call with 3 300 tasks ready.
    /// </summary>
    public static string AnyDueOnQueue(string taskType, string ns, string queue) =>
        $"""
        ((SELECT 1 FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
           WHERE {DueOnQueue(taskType, ns, queue)} AND r.status IN ('pending', 'running', 'waiting')
           ORDER BY {ClaimOrder} LIMIT 1) IS NOT NULL)
        """;
}
