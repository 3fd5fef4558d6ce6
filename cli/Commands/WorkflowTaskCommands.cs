using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// <c>workflow-task:poll|complete|fail|history</c>: drive one workflow task through the worker protocol by hand, for
/// diagnostics and smoke tests (production workers use an SDK).
/// </summary>
public static class WorkflowTaskCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        var workerId = new Argument<string>("worker-id") { Description = "Registered worker id" };
        var queue = WorkerPlane.TaskQueue();
        var buildId = new Option<string?>("--build-id") { Description = "Compatibility build id" };
        var pollRequestId = new Option<string?>("--poll-request-id") { Description = "Idempotency key for retrying a poll" };
        var pageSize = new Option<string?>("--history-page-size") { Description = "Maximum history events in the first page" };
        var encoding = new Option<string?>("--accept-history-encoding") { Description = "Accepted compressed history encoding" };
        yield return ServerCommand.Create(io, "workflow-task:poll", "Poll and lease one workflow task", c => WorkerPlane.PostAsync(c, "worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = c.Required(workerId) }
                .Put("task_queue", c.Get(queue))
                .Put("build_id", c.Get(buildId))
                .Put("poll_request_id", c.Get(pollRequestId))
                .Put("history_page_size", WorkerPlane.OptionalPositiveInt(c, pageSize))
                .Put("accept_history_encoding", c.Get(encoding)),
            (console, answer) =>
            {
                if (answer?["task"] is not JsonObject task)
                {
                    console.WriteLine("No workflow task available.");
                    return;
                }

                WorkerPlane.Lines(console, "Workflow task leased",
                    ("Task ID", task["task_id"]), ("Workflow ID", task["workflow_id"]), ("Run ID", task["run_id"]),
                    ("Attempt", task["workflow_task_attempt"]), ("Lease Owner", task["lease_owner"]),
                    ("History Events", (task["history_events"] as JsonArray)?.Count ?? 0));
                if (task["next_history_page_token"] is JsonValue next)
                {
                    console.WriteLine($"  Next History Page Token: {next}");
                }
            },
            WorkerPlane.PollTimeout), Preflight.Worker, workerId, queue, buildId, pollRequestId, pageSize, encoding);

        var completeTask = TaskId();
        var completeAttempt = Attempt();
        var completeOwner = WorkerPlane.LeaseOwner();
        var completeResult = new Option<string?>("--complete-result") { Description = "JSON result of a single complete_workflow command" };
        var rawCommands = new Option<string[]>("--command") { Description = "Raw workflow task command JSON object (repeatable)" };
        yield return ServerCommand.Create(io, "workflow-task:complete", "Complete a leased workflow task", c =>
        {
            var taskId = c.Required(completeTask);
            var attempt = WorkerPlane.PositiveInt(c.Get(completeAttempt), "attempt");
            return WorkerPlane.PostAsync(c, $"worker/workflow-tasks/{CommandContext.Segment(taskId)}/complete", new JsonObject
            {
                ["lease_owner"] = c.Get(completeOwner),
                ["workflow_task_attempt"] = attempt,
                ["commands"] = Commands(c.Get(rawCommands), c.Get(completeResult)),
            }, (console, answer) => WorkerPlane.Lines(console, "Workflow task completed",
                ("Task ID", answer?["task_id"] ?? taskId), ("Attempt", answer?["workflow_task_attempt"] ?? attempt),
                ("Outcome", answer?["outcome"]), ("Run Status", answer?["run_status"])));
        }, Preflight.Worker, completeTask, completeAttempt, completeOwner, completeResult, rawCommands);

        var failTask = TaskId();
        var failAttempt = Attempt();
        var failOwner = WorkerPlane.LeaseOwner();
        var message = new Option<string?>("--message", "-m") { Description = "Failure message (required)" };
        var type = new Option<string?>("--type", "-t") { Description = "Failure type" };
        var stackTrace = new Option<string?>("--stack-trace") { Description = "Stack trace or diagnostic text" };
        yield return ServerCommand.Create(io, "workflow-task:fail", "Fail a leased workflow task (the engine replays it into a fresh task)", c =>
        {
            var taskId = c.Required(failTask);
            var attempt = WorkerPlane.PositiveInt(c.Get(failAttempt), "attempt");
            var failure = new JsonObject { ["message"] = WorkerPlane.RequiredMessage(c, message) }
                .Put("type", c.Get(type) is { Length: > 0 } t ? t : null)
                .Put("stack_trace", c.Get(stackTrace) is { Length: > 0 } s ? s : null);
            return WorkerPlane.PostAsync(c, $"worker/workflow-tasks/{CommandContext.Segment(taskId)}/fail", new JsonObject
            {
                ["lease_owner"] = c.Get(failOwner),
                ["workflow_task_attempt"] = attempt,
                ["failure"] = failure,
            }, (console, answer) => WorkerPlane.Lines(console, "Workflow task failed",
                ("Task ID", answer?["task_id"] ?? taskId), ("Attempt", answer?["workflow_task_attempt"] ?? attempt), ("Outcome", answer?["outcome"])));
        }, Preflight.Worker, failTask, failAttempt, failOwner, message, type, stackTrace);

        var historyTask = TaskId();
        var pageToken = new Argument<string>("page-token") { Description = "next_history_page_token from workflow-task:poll" };
        var historyOwner = WorkerPlane.LeaseOwner();
        var historyAttempt = new Option<string?>("--attempt") { Description = "Workflow task attempt number (required)" };
        yield return ServerCommand.Create(io, "workflow-task:history", "Fetch the next history page of a leased workflow task", c =>
        {
            var taskId = c.Required(historyTask);
            var attempt = WorkerPlane.PositiveInt(c.Get(historyAttempt), "--attempt");
            return WorkerPlane.PostAsync(c, $"worker/workflow-tasks/{CommandContext.Segment(taskId)}/history", new JsonObject
            {
                ["next_history_page_token"] = c.Required(pageToken),
                ["lease_owner"] = c.Get(historyOwner),
                ["workflow_task_attempt"] = attempt,
            }, (console, answer) =>
            {
                WorkerPlane.Lines(console, "Workflow task history page fetched",
                    ("Task ID", taskId), ("Attempt", attempt), ("Events", (answer?["history_events"] as JsonArray)?.Count ?? 0));
                if (answer?["next_history_page_token"] is JsonValue next)
                {
                    console.WriteLine($"  Next History Page Token: {next}");
                }
            });
        }, Preflight.Worker, historyTask, pageToken, historyOwner, historyAttempt);
    }

    private static Argument<string> TaskId() => new("task-id") { Description = "Workflow task id" };

    private static Argument<string> Attempt() => new("attempt") { Description = "Workflow task attempt number" };

    /// <summary>The raw <c>--command</c> objects, or one <c>complete_workflow</c> carrying <c>--complete-result</c>.</summary>
    private static JsonArray Commands(string[]? raw, string? result)
    {
        if (raw is { Length: > 0 })
        {
            if (!string.IsNullOrEmpty(result))
            {
                throw CliException.Invalid("Use either --command or --complete-result, not both.");
            }

            return new JsonArray([.. raw.Select(text => InputOptions.ParseJson(text, "--command") as JsonObject
                ?? throw CliException.Invalid("--command must decode to a JSON object."))]);
        }

        return [new JsonObject { ["type"] = "complete_workflow" }.Put("result", WorkerPlane.Json(result, "--complete-result"))];
    }
}
