using System.CommandLine;
using DurableWorkflow.Cli.Rollout;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>task-queue:list|describe|build-ids|drain|resume|promote</c>; <c>drain --wait</c> watches the cohort empty.</summary>
public static class TaskQueueCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return ServerCommand.Create(io, "task-queue:list", "List task queues and their admission view",
            c => c.PrintAsync(HttpMethod.Get, "task-queues"));

        var describeQueue = Queue();
        yield return ServerCommand.Create(io, "task-queue:describe", "Describe one task queue",
            c => c.PrintAsync(HttpMethod.Get, $"task-queues/{CommandContext.Segment(c.Required(describeQueue))}"), Preflight.Control, describeQueue);

        var buildIdsQueue = Queue();
        yield return ServerCommand.Create(io, "task-queue:build-ids", "List the build-id cohorts of a task queue",
            c => c.PrintAsync(HttpMethod.Get, $"task-queues/{CommandContext.Segment(c.Required(buildIdsQueue))}/build-ids", table: BuildIdTable.Render),
            Preflight.Control, buildIdsQueue);

        yield return Drain(io);
        yield return Rollout(io, "resume", "Resume a drained cohort (it takes new work again)");
        yield return Rollout(io, "promote", "Promote a cohort: fresh starts on the queue go to it");
    }

    private static Argument<string> Queue() => new("task-queue") { Description = "Task queue name" };

    private static Command Rollout(CliIo io, string verb, string description)
    {
        var queue = Queue();
        var selection = new BuildIdSelection();
        return ServerCommand.Create(io, $"task-queue:{verb}", description, c =>
        {
            var buildId = selection.Read(c);
            return c.PrintAsync(HttpMethod.Post, $"task-queues/{CommandContext.Segment(c.Required(queue))}/build-ids/{verb}", body: BuildIdSelection.Body(buildId));
        }, Preflight.Control, [queue, .. selection.Symbols]);
    }

    private static Command Drain(CliIo io)
    {
        var queue = Queue();
        var selection = new BuildIdSelection();
        var wait = new Option<bool>("--wait") { Description = "Watch the cohort until no active or draining worker is left (exit 7 on --timeout)" };
        var timeout = new Option<string?>("--timeout") { Description = "How long --wait waits (e.g. 90s, 10m, PT1H; default 30m)" };
        var interval = new Option<string?>("--poll-interval") { Description = "How often --wait reads the cohort (default 2s)" };
        return ServerCommand.Create(io, "task-queue:drain", "Drain a cohort: it takes no new work; optionally wait until its workers are gone", async c =>
        {
            var buildId = selection.Read(c);
            var name = c.Required(queue);
            var limit = c.Get(timeout) is { } t ? DurationText.Parse(t, "--timeout") : TimeSpan.FromMinutes(30);
            var every = c.Get(interval) is { } i ? DurationText.Parse(i, "--poll-interval") : TimeSpan.FromSeconds(2);
            if (!c.Get(wait))
            {
                if (c.Get(timeout) is not null)
                {
                    throw CliException.Invalid("--timeout only applies with --wait.");
                }

                return await c.PrintAsync(HttpMethod.Post, $"task-queues/{CommandContext.Segment(name)}/build-ids/drain", body: BuildIdSelection.Body(buildId));
            }

            var drained = await c.SendAsync(HttpMethod.Post, $"task-queues/{CommandContext.Segment(name)}/build-ids/drain", body: BuildIdSelection.Body(buildId));
            return await new DrainWatcher(c, name, buildId, limit, every, TimeProvider.System).RunAsync(drained);
        }, Preflight.Control, [queue, .. selection.Symbols, wait, timeout, interval]);
    }
}
