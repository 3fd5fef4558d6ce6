using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>query-task:poll|complete|fail</c>: answer a routed workflow query through the worker protocol by hand.</summary>
public static class QueryTaskCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        var workerId = new Argument<string>("worker-id") { Description = "Registered worker id" };
        var queue = WorkerPlane.TaskQueue();
        yield return ServerCommand.Create(io, "query-task:poll", "Poll and lease one routed workflow query task", c => WorkerPlane.PostAsync(c, "worker/query-tasks/poll",
            new JsonObject { ["worker_id"] = c.Required(workerId), ["task_queue"] = c.Get(queue) },
            (console, answer) =>
            {
                if (answer?["task"] is not JsonObject task)
                {
                    console.WriteLine("No query task available.");
                    return;
                }

                WorkerPlane.Lines(console, "Query task leased",
                    ("Task ID", task["query_task_id"]), ("Workflow ID", task["workflow_id"]), ("Run ID", task["run_id"]),
                    ("Query", task["query_name"]), ("Attempt", task["query_task_attempt"]));
            },
            WorkerPlane.PollTimeout), Preflight.Worker, workerId, queue);

        var completeId = QueryTaskId();
        var completeAttempt = Attempt();
        var completeOwner = WorkerPlane.LeaseOwner();
        var result = new Option<string?>("--result") { Description = "Query result as JSON (required)" };
        yield return ServerCommand.Create(io, "query-task:complete", "Complete a leased routed workflow query task", c =>
        {
            var id = c.Required(completeId);
            var attempt = WorkerPlane.PositiveInt(c.Get(completeAttempt), "attempt");
            var value = c.Get(result) is { } text && !string.IsNullOrWhiteSpace(text)
                ? InputOptions.ParseJson(text, "--result")
                : throw CliException.Invalid("--result is required.");
            return WorkerPlane.PostAsync(c, $"worker/query-tasks/{CommandContext.Segment(id)}/complete", new JsonObject
            {
                ["lease_owner"] = c.Get(completeOwner),
                ["query_task_attempt"] = attempt,
                ["result"] = value,
            }, (console, answer) => Summary(console, "Query task completed", answer, id, attempt));
        }, Preflight.Worker, completeId, completeAttempt, completeOwner, result);

        var failId = QueryTaskId();
        var failAttempt = Attempt();
        var failOwner = WorkerPlane.LeaseOwner();
        var message = new Option<string?>("--message", "-m") { Description = "Failure message (required)" };
        var reason = new Option<string?>("--reason") { Description = "Machine-readable failure reason (default query_rejected)", DefaultValueFactory = _ => "query_rejected" };
        var type = new Option<string?>("--type", "-t") { Description = "Failure type" };
        var stackTrace = new Option<string?>("--stack-trace") { Description = "Stack trace or diagnostic text" };
        yield return ServerCommand.Create(io, "query-task:fail", "Fail a leased routed workflow query task", c =>
        {
            var id = c.Required(failId);
            var attempt = WorkerPlane.PositiveInt(c.Get(failAttempt), "attempt");
            var failure = new JsonObject { ["message"] = WorkerPlane.RequiredMessage(c, message), ["reason"] = c.Get(reason) }
                .Put("type", c.Get(type) is { Length: > 0 } t ? t : null)
                .Put("stack_trace", c.Get(stackTrace) is { Length: > 0 } s ? s : null);
            return WorkerPlane.PostAsync(c, $"worker/query-tasks/{CommandContext.Segment(id)}/fail", new JsonObject
            {
                ["lease_owner"] = c.Get(failOwner),
                ["query_task_attempt"] = attempt,
                ["failure"] = failure,
            }, (console, answer) => Summary(console, "Query task failed", answer, id, attempt));
        }, Preflight.Worker, failId, failAttempt, failOwner, message, reason, type, stackTrace);
    }

    private static Argument<string> QueryTaskId() => new("query-task-id") { Description = "Query task id" };

    private static Argument<string> Attempt() => new("attempt") { Description = "Query task attempt number" };

    private static void Summary(IAnsiConsole console, string heading, JsonNode? answer, string id, int attempt) =>
        WorkerPlane.Lines(console, heading, ("Task ID", answer?["query_task_id"] ?? id), ("Attempt", answer?["query_task_attempt"] ?? attempt), ("Outcome", answer?["outcome"]));
}
