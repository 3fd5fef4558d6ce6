namespace DurableWorkflow.Core.Engine;

/// <summary>
/// SQL pieces over <c>workflow_tasks t</c> joined to its run <c>r</c> that the claims of several task kinds share: a
/// ready task of a queue that is due now, and whether one exists. The arguments are the statement's placeholders.
/// </summary>
public static class DueTaskSql
{
    /// <summary>A ready task of the kind on the queue whose <c>available_at</c> has come.</summary>
    public static string DueOnQueue(string taskType, string ns, string queue) =>
        $"t.status = 'ready' AND t.namespace = {ns} AND t.task_type = '{taskType}' AND t.task_queue = {queue} AND t.available_at <= now()";

    /// <summary>
    /// Whether the queue has a task due now of an open run, whoever may claim it: what a poll whose claim came up empty
    /// compares with its own filter.
    /// </summary>
    public static string AnyDueOnQueue(string taskType, string ns, string queue) =>
        $"""
        EXISTS (SELECT 1 FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
                 WHERE {DueOnQueue(taskType, ns, queue)} AND r.status IN ('pending', 'running', 'waiting'))
        """;
}
