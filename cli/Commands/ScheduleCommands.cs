using System.CommandLine;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>schedule:*</c> (spec §9, §13.6).</summary>
public static class ScheduleCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return CreateSchedule(io);

        var type = new Option<string?>("--workflow-type", "-t") { Description = "Only schedules starting this workflow type" };
        var status = new Option<string?>("--status") { Description = "active or paused" };
        var query = new Option<string?>("--query") { Description = "Search text" };
        var limit = new Option<int?>("--limit", "-l") { Description = "Page size" };
        var token = new Option<string?>("--next-page-token") { Description = "Continue from this page token" };
        yield return ServerCommand.Create(io, "schedule:list", "List schedules", c =>
        {
            if (c.Get(status) is { } s && s is not ("active" or "paused"))
            {
                throw CliException.Invalid($"Invalid --status '{s}': expected active or paused.");
            }

            return c.PrintAsync(HttpMethod.Get, "schedules", new QueryString()
                .Add("workflow_type", c.Get(type)).Add("status", c.Get(status)).Add("query", c.Get(query))
                .Add("page_size", c.Get(limit)).Add("next_page_token", c.Get(token)));
        }, Preflight.Control, type, status, query, limit, token);

        var describeId = Id();
        yield return ServerCommand.Create(io, "schedule:describe", "Describe a schedule",
            c => c.PrintAsync(HttpMethod.Get, Path(c, describeId)), Preflight.Control, describeId);

        yield return UpdateSchedule(io);

        var deleteId = Id();
        yield return ServerCommand.Create(io, "schedule:delete", "Delete a schedule",
            c => c.PrintAsync(HttpMethod.Delete, Path(c, deleteId)), Preflight.Control, deleteId);

        foreach (var verb in new[] { "pause", "resume" })
        {
            var id = Id();
            var note = new Option<string?>("--note") { Description = "Note recorded with the change" };
            yield return ServerCommand.Create(io, $"schedule:{verb}", $"{char.ToUpperInvariant(verb[0])}{verb[1..]} a schedule",
                c => c.PrintAsync(HttpMethod.Post, $"{Path(c, id)}/{verb}", body: new JsonObject().Put("note", c.Get(note))), Preflight.Control, id, note);
        }

        var triggerId = Id();
        var triggerOverlap = new Option<string?>("--overlap-policy") { Description = "Overlap policy for this occurrence" };
        yield return ServerCommand.Create(io, "schedule:trigger", "Fire a schedule now",
            c => c.PrintAsync(HttpMethod.Post, $"{Path(c, triggerId)}/trigger", body: new JsonObject().Put("overlap_policy", c.Get(triggerOverlap))),
            Preflight.Control, triggerId, triggerOverlap);

        var backfillId = Id();
        var startTime = new Option<string>("--start-time") { Description = "Backfill window start (ISO-8601)", Required = true };
        var endTime = new Option<string>("--end-time") { Description = "Backfill window end (ISO-8601)", Required = true };
        var backfillOverlap = new Option<string?>("--overlap-policy") { Description = "Overlap policy for the backfilled occurrences" };
        yield return ServerCommand.Create(io, "schedule:backfill", "Fire the occurrences of a past window",
            c => c.PrintAsync(HttpMethod.Post, $"{Path(c, backfillId)}/backfill", body: new JsonObject
            {
                ["start_time"] = c.Get(startTime),
                ["end_time"] = c.Get(endTime),
            }.Put("overlap_policy", c.Get(backfillOverlap))),
            Preflight.Control, backfillId, startTime, endTime, backfillOverlap);

        yield return History(io);
    }

    private static Argument<string> Id() => new("schedule-id") { Description = "Schedule id" };

    private static string Path(CommandContext c, Argument<string> id) => $"schedules/{CommandContext.Segment(c.Required(id))}";

    private static Command CreateSchedule(CliIo io)
    {
        var id = new Option<string?>("--schedule-id") { Description = "Schedule id (server generates one when absent)" };
        var type = new Option<string>("--workflow-type", "-t") { Description = "Workflow type to start", Required = true };
        var cron = new Option<string?>("--cron", "-c") { Description = "Cron expression" };
        var interval = new Option<string?>("--interval") { Description = "ISO-8601 interval, e.g. PT30M" };
        var queue = new Option<string?>("--task-queue") { Description = "Task queue of the started workflows" };
        var timezone = new Option<string?>("--timezone") { Description = "Time zone of the cron expression (default UTC)" };
        var executionTimeout = new Option<int?>("--execution-timeout") { Description = "Execution timeout in seconds" };
        var runTimeout = new Option<int?>("--run-timeout") { Description = "Run timeout in seconds" };
        var overlap = new Option<string?>("--overlap-policy") { Description = "Overlap policy (default skip)" };
        var jitter = new Option<int?>("--jitter") { Description = "Jitter in seconds" };
        var maxRuns = new Option<int?>("--max-runs") { Description = "Stop after this many runs" };
        var paused = new Option<bool>("--paused") { Description = "Create the schedule paused" };
        var note = new Option<string?>("--note") { Description = "Note" };
        var input = new InputOptions();
        return ServerCommand.Create(io, "schedule:create", "Create a schedule", c =>
        {
            if (c.Get(cron) is null && c.Get(interval) is null)
            {
                throw CliException.Invalid("Give --cron or --interval.");
            }

            var spec = Spec(c.Get(cron), c.Get(interval)).Put("timezone", c.Get(timezone) ?? "UTC");
            var action = new JsonObject { ["workflow_type"] = c.Get(type) }
                .Put("task_queue", c.Get(queue)).Put("input", input.Read(c))
                .Put("execution_timeout_seconds", c.Get(executionTimeout)).Put("run_timeout_seconds", c.Get(runTimeout));
            var body = new JsonObject
            {
                ["schedule_id"] = c.Get(id),
                ["spec"] = spec,
                ["action"] = action,
                ["overlap_policy"] = c.Get(overlap) ?? "skip",
                ["jitter_seconds"] = c.Get(jitter),
                ["max_runs"] = c.Get(maxRuns),
                ["paused"] = c.Get(paused),
                ["note"] = c.Get(note),
            };
            return c.PrintAsync(HttpMethod.Post, "schedules", body: body);
        }, Preflight.Control, [id, type, cron, interval, queue, timezone, executionTimeout, runTimeout, overlap, jitter, maxRuns, paused, note, .. input.Symbols]);
    }

    private static JsonObject Spec(string? cron, string? interval) => new JsonObject()
        .Put("cron_expressions", cron is null ? null : new JsonArray(cron))
        .Put("intervals", interval is null ? null : new JsonArray(new JsonObject { ["every"] = interval }));

    private static Command UpdateSchedule(CliIo io)
    {
        var id = Id();
        var cron = new Option<string?>("--cron", "-c") { Description = "New cron expression (replaces the whole spec)" };
        var interval = new Option<string?>("--interval") { Description = "New interval (replaces the whole spec)" };
        var type = new Option<string?>("--workflow-type", "-t") { Description = "New workflow type" };
        var queue = new Option<string?>("--task-queue") { Description = "New task queue" };
        var executionTimeout = new Option<int?>("--execution-timeout") { Description = "Execution timeout in seconds" };
        var runTimeout = new Option<int?>("--run-timeout") { Description = "Run timeout in seconds" };
        var overlap = new Option<string?>("--overlap-policy") { Description = "Overlap policy" };
        var jitter = new Option<int?>("--jitter") { Description = "Jitter in seconds" };
        var maxRuns = new Option<int?>("--max-runs") { Description = "Stop after this many runs" };
        var note = new Option<string?>("--note") { Description = "Note" };
        var input = new InputOptions();
        return ServerCommand.Create(io, "schedule:update", "Update a schedule", c =>
        {
            var action = new JsonObject()
                .Put("workflow_type", c.Get(type)).Put("task_queue", c.Get(queue)).Put("input", input.Read(c))
                .Put("execution_timeout_seconds", c.Get(executionTimeout)).Put("run_timeout_seconds", c.Get(runTimeout));
            var spec = Spec(c.Get(cron), c.Get(interval));
            var body = new JsonObject()
                .Put("spec", spec.Count == 0 ? null : spec)
                .Put("action", action.Count == 0 ? null : action)
                .Put("overlap_policy", c.Get(overlap)).Put("jitter_seconds", c.Get(jitter)).Put("max_runs", c.Get(maxRuns)).Put("note", c.Get(note));
            return body.Count == 0
                ? throw CliException.Invalid("Nothing to update: give at least one field flag.")
                : c.PrintAsync(HttpMethod.Put, Path(c, id), body: body);
        }, Preflight.Control, [id, cron, interval, type, queue, executionTimeout, runTimeout, overlap, jitter, maxRuns, note, .. input.Symbols]);
    }

    private static Command History(CliIo io)
    {
        var id = Id();
        var limit = new Option<int?>("--limit") { Description = "Events per page" };
        var after = new Option<int?>("--after-sequence") { Description = "Only events after this sequence" };
        var all = new Option<bool>("--all") { Description = "Follow next_cursor while has_more" };
        return ServerCommand.Create(io, "schedule:history", "A schedule's audit history", async c =>
        {
            var path = $"{Path(c, id)}/history";
            var document = await c.SendAsync(HttpMethod.Get, path, new QueryString().Add("limit", c.Get(limit)).Add("after_sequence", c.Get(after))) as JsonObject;
            while (c.Get(all) && document?["has_more"] is JsonValue more && more.TryGetValue<bool>(out var hasMore) && hasMore
                && document["next_cursor"] is JsonValue cursor && document["events"] is JsonArray events)
            {
                var page = await c.SendAsync(HttpMethod.Get, path, new QueryString().Add("limit", c.Get(limit)).Add("after_sequence", cursor.ToString())) as JsonObject;
                foreach (var item in (page?["events"] as JsonArray ?? []).ToList())
                {
                    events.Add(item?.DeepClone());
                }

                document["has_more"] = page?["has_more"]?.DeepClone();
                document["next_cursor"] = page?["next_cursor"]?.DeepClone();
            }

            c.Write(document);
            return ExitCodes.Success;
        }, Preflight.Control, id, limit, after, all);
    }
}
