using System.CommandLine;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>worker:list|describe|deregister</c> (management routes, spec §7).</summary>
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
    }
}
