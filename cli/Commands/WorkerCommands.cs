using System.CommandLine;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// <c>worker:list|describe|deregister</c> (management routes, spec §7) and <c>worker:register</c>, which registers a
/// diagnostic worker identity on the worker plane for the <c>workflow-task:*</c> and <c>query-task:*</c> commands.
/// </summary>
public static class WorkerCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        var queue = new Option<string?>("--task-queue") { Description = "Only workers of this task queue" };
        var status = new Option<string?>("--status") { Description = "Only workers with this status (active, draining, stale)" };
        yield return ServerCommand.Create(io, "worker:list", "List registered workers",
            c => c.PrintAsync(HttpMethod.Get, "workers", new QueryString().Add("task_queue", c.Get(queue)).Add("status", c.Get(status))),
            Preflight.Worker, queue, status);

        var describeId = new Argument<string>("worker-id") { Description = "Worker id" };
        yield return ServerCommand.Create(io, "worker:describe", "Describe one worker",
            c => c.PrintAsync(HttpMethod.Get, $"workers/{CommandContext.Segment(c.Required(describeId))}"), Preflight.Worker, describeId);

        var deregisterId = new Argument<string>("worker-id") { Description = "Worker id" };
        yield return ServerCommand.Create(io, "worker:deregister", "Remove a worker registration",
            c => c.PrintAsync(HttpMethod.Delete, $"workers/{CommandContext.Segment(c.Required(deregisterId))}"), Preflight.Worker, deregisterId);

        yield return Register(io);
    }

    private static Command Register(CliIo io)
    {
        var workerId = new Argument<string?>("worker-id") { Description = "Worker id (the server assigns one when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var queue = WorkerPlane.TaskQueue();
        var runtime = new Option<string?>("--runtime") { Description = "Runtime the worker advertises (default 'external')" };
        var sdkVersion = new Option<string?>("--sdk-version") { Description = "Advertised SDK version (default 'dw-cli')", DefaultValueFactory = _ => "dw-cli" };
        var buildId = new Option<string?>("--build-id") { Description = "Compatibility build id the worker supports" };
        var workflowTypes = new Option<string[]>("--workflow-type") { Description = "Supported workflow type (repeatable)" };
        var activityTypes = new Option<string[]>("--activity-type") { Description = "Supported activity type (repeatable)" };
        var maxWorkflow = new Option<string?>("--max-workflow-tasks") { Description = "Maximum concurrent workflow tasks" };
        var maxActivity = new Option<string?>("--max-activity-tasks") { Description = "Maximum concurrent activity tasks" };
        return ServerCommand.Create(io, "worker:register", "Register a diagnostic worker with the server", async c =>
        {
            var body = new JsonObject()
                .Put("worker_id", c.Get(workerId) is { Length: > 0 } id ? id.Trim() : null)
                .Put("task_queue", c.Get(queue))
                .Put("runtime", c.Get(runtime) is { } r && !string.IsNullOrWhiteSpace(r) ? r.Trim() : "external")
                .Put("sdk_version", c.Get(sdkVersion))
                .Put("build_id", c.Get(buildId))
                .Put("supported_workflow_types", Trimmed(c.Get(workflowTypes)))
                .Put("supported_activity_types", Trimmed(c.Get(activityTypes)))
                .Put("max_concurrent_workflow_tasks", WorkerPlane.OptionalPositiveInt(c, maxWorkflow))
                .Put("max_concurrent_activity_tasks", WorkerPlane.OptionalPositiveInt(c, maxActivity));
            var answer = await c.SendAsync(HttpMethod.Post, "worker/register", body: body);
            if (answer?["registered"] is not JsonValue registered || !registered.TryGetValue<bool>(out var ok) || !ok)
            {
                throw new CliException(ExitCodes.Failure, "Worker registration was not confirmed by the server; expected registered=true in the /worker/register response.", "registration_unconfirmed");
            }

            c.Output.Write(answer, (console, _) => WorkerPlane.Lines(console, "Worker registered",
                ("Worker ID", answer["worker_id"]), ("Task Queue", body["task_queue"]), ("Runtime", body["runtime"]),
                ("Build ID", body["build_id"] ?? "(unversioned)")));
            return ExitCodes.Success;
        }, Preflight.Worker, workerId, queue, runtime, sdkVersion, buildId, workflowTypes, activityTypes, maxWorkflow, maxActivity);
    }

    private static string[] Trimmed(string[]? values) => [.. (values ?? []).Select(v => v.Trim()).Where(v => v.Length > 0)];
}
