using System.CommandLine;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>workflow:*</c> (spec §4–5, §13.6): start, describe, list, the commands on a run, and history.</summary>
public static class WorkflowCommands
{
    private static readonly string[] DuplicatePolicies = ["fail", "use-existing"];
    private static readonly string[] Statuses = ["running", "completed", "failed", "cancelled", "terminated", "continued", "archived"];

    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return Start(io);

        var describeId = Id();
        var describeRun = new Option<string?>("--run-id", "-r") { Description = "Describe this run instead of the current one" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Poll until the run is terminal" };
        yield return ServerCommand.Create(io, "workflow:describe", "Describe a workflow's current (or given) run", async c =>
        {
            var id = CommandContext.Segment(c.Required(describeId));
            var path = c.Get(describeRun) is { Length: > 0 } run ? $"workflows/{id}/runs/{CommandContext.Segment(run)}" : $"workflows/{id}";
            var document = c.Get(follow) ? await UntilTerminalAsync(c, path) : await c.SendAsync(HttpMethod.Get, path);
            c.Write(document);
            return ExitCodes.Success;
        }, Preflight.Control, describeId, describeRun, follow);

        var showId = Id();
        var showRun = RunArgument();
        yield return ServerCommand.Create(io, "workflow:show-run", "Describe one run",
            c => c.PrintAsync(HttpMethod.Get, $"workflows/{CommandContext.Segment(c.Required(showId))}/runs/{CommandContext.Segment(c.Required(showRun))}"),
            Preflight.Control, showId, showRun);

        var type = new Option<string?>("--type", "-t") { Description = "Only this workflow type" };
        var status = new Option<string?>("--status") { Description = $"Only this status ({string.Join(", ", Statuses)})" };
        var query = new Option<string?>("--query") { Description = "Visibility query" };
        var limit = new Option<int?>("--limit", "-l") { Description = "Page size (default 20)" };
        yield return ServerCommand.Create(io, "workflow:list", "List workflows", c =>
        {
            if (c.Get(status) is { } s && !Statuses.Contains(s))
            {
                throw CliException.Invalid($"Invalid --status '{s}': expected one of {string.Join(", ", Statuses)}.");
            }

            return c.PrintAsync(HttpMethod.Get, "workflows", new QueryString()
                .Add("workflow_type", c.Get(type)).Add("status", c.Get(status)).Add("query", c.Get(query)).Add("page_size", c.Get(limit) ?? 20));
        }, Preflight.Control, type, status, query, limit);

        var runsId = Id();
        yield return ServerCommand.Create(io, "workflow:list-runs", "List the runs of a workflow",
            c => c.PrintAsync(HttpMethod.Get, $"workflows/{CommandContext.Segment(c.Required(runsId))}/runs"), Preflight.Control, runsId);

        yield return Message(io, "signal", "Send a signal");
        yield return Message(io, "query", "Query a workflow");
        yield return Update(io);
        yield return WithReason(io, "cancel", "Request cancellation of a workflow", allowRun: true);
        yield return WithReason(io, "terminate", "Terminate a workflow", allowRun: true);
        yield return WithReason(io, "archive", "Archive a closed workflow", allowRun: false);

        var repairId = Id();
        yield return ServerCommand.Create(io, "workflow:repair", "Repair a stuck workflow",
            c => c.PrintAsync(HttpMethod.Post, $"workflows/{CommandContext.Segment(c.Required(repairId))}/repair", body: new JsonObject()), Preflight.Control, repairId);

        yield return History(io);

        var exportId = Id();
        var exportRun = RunArgument();
        var file = new Option<string?>("--file", "-o") { Description = "Write the export to this file instead of stdout" };
        yield return ServerCommand.Create(io, "workflow:history-export", "Export a run's history bundle", async c =>
        {
            var document = await c.SendAsync(HttpMethod.Get, $"workflows/{CommandContext.Segment(c.Required(exportId))}/runs/{CommandContext.Segment(c.Required(exportRun))}/history/export");
            if (c.Get(file) is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, JsonOutput.Line(document), c.CancellationToken);
                c.Output.Line($"History export written to {path}.");
                return ExitCodes.Success;
            }

            c.Io.Out.WriteLine(JsonOutput.Line(document));
            return ExitCodes.Success;
        }, Preflight.Control, exportId, exportRun, file);
    }

    private static Argument<string> Id() => new("workflow-id") { Description = "Workflow id" };

    private static Argument<string> RunArgument() => new("run-id") { Description = "Run id" };

    private static string RunPath(CommandContext c, string id, string? run) =>
        run is { Length: > 0 } ? $"workflows/{CommandContext.Segment(id)}/runs/{CommandContext.Segment(run)}" : $"workflows/{CommandContext.Segment(id)}";

    private static Command Start(CliIo io)
    {
        var type = new Option<string>("--type", "-t") { Description = "Workflow type", Required = true };
        var id = new Option<string?>("--workflow-id", "-w") { Description = "Workflow id (server generates one when absent)" };
        var businessKey = new Option<string?>("--business-key") { Description = "Business key" };
        var queue = new Option<string?>("--task-queue") { Description = "Task queue (default 'default')" };
        var duplicate = new Option<string?>("--duplicate-policy") { Description = "fail or use-existing" };
        var memo = new Option<string?>("--memo") { Description = "Memo (JSON object)" };
        var searchAttributes = new Option<string[]>("--search-attr") { Description = "Search attribute key=value (repeatable)" };
        var executionTimeout = new Option<int?>("--execution-timeout") { Description = "Execution timeout in seconds" };
        var runTimeout = new Option<int?>("--run-timeout") { Description = "Run timeout in seconds" };
        var priority = new Option<int?>("--priority") { Description = "Priority" };
        var fairnessKey = new Option<string?>("--fairness-key") { Description = "Fairness key" };
        var fairnessWeight = new Option<int?>("--fairness-weight") { Description = "Fairness weight" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the workflow is terminal; exit 0 only when it completed" };
        var input = new InputOptions();
        return ServerCommand.Create(io, "workflow:start", "Start a workflow", async c =>
        {
            if (c.Get(duplicate) is { } policy && !DuplicatePolicies.Contains(policy))
            {
                throw CliException.Invalid($"Invalid --duplicate-policy '{policy}': expected fail or use-existing.");
            }

            var body = new JsonObject { ["workflow_type"] = c.Get(type) }
                .Put("workflow_id", c.Get(id))
                .Put("business_key", c.Get(businessKey))
                .Put("task_queue", c.Get(queue) ?? "default")
                .Put("duplicate_policy", c.Get(duplicate))
                .Put("input", input.Read(c))
                .Put("memo", c.Get(memo) is { } m ? InputOptions.ParseJson(m, "--memo") : null)
                .Put("execution_timeout_seconds", c.Get(executionTimeout))
                .Put("run_timeout_seconds", c.Get(runTimeout))
                .Put("priority", c.Get(priority))
                .Put("fairness_key", c.Get(fairnessKey))
                .Put("fairness_weight", c.Get(fairnessWeight))
                .Put("search_attributes", SearchAttributes(c.Get(searchAttributes)));
            var started = await c.SendAsync(HttpMethod.Post, "workflows", body: body);
            if (!c.Get(wait))
            {
                c.Write(started);
                return ExitCodes.Success;
            }

            var workflowId = started?["workflow_id"]?.GetValue<string>() ?? throw new CliException("The start answer carries no workflow_id to wait on.");
            var final = await UntilTerminalAsync(c, $"workflows/{CommandContext.Segment(workflowId)}");
            c.Write(final);
            return final?["status_bucket"]?.GetValue<string>() == "completed" ? ExitCodes.Success : ExitCodes.Failure;
        }, Preflight.Control, [type, id, businessKey, queue, duplicate, memo, searchAttributes, executionTimeout, runTimeout, priority, fairnessKey, fairnessWeight, .. input.Symbols, wait]);
    }

    private static JsonObject? SearchAttributes(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0)
        {
            return null;
        }

        var map = new JsonObject();
        foreach (var pair in pairs)
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw CliException.Invalid($"Invalid --search-attr '{pair}': expected key=value.");
            }

            map[pair[..at].Trim()] = pair[(at + 1)..];
        }

        return map;
    }

    private static Command Message(CliIo io, string verb, string description)
    {
        var id = Id();
        var name = new Argument<string>($"{verb}-name") { Description = $"The {verb} name" };
        var run = new Option<string?>("--run-id") { Description = "Target this run" };
        var input = new InputOptions();
        return ServerCommand.Create(io, $"workflow:{verb}", description, c =>
        {
            var body = new JsonObject().Put("input", input.Read(c));
            var path = $"{RunPath(c, c.Required(id), c.Get(run))}/{verb}/{CommandContext.Segment(c.Required(name))}";
            return verb == "query"
                ? PrintWithTimeoutAsync(c, path, body, TimeSpan.FromSeconds(60))
                : c.PrintAsync(HttpMethod.Post, path, body: body);
        }, Preflight.Control, [id, name, run, .. input.Symbols]);
    }

    private static async Task<int> PrintWithTimeoutAsync(CommandContext c, string path, JsonObject body, TimeSpan timeout)
    {
        c.Write(await c.SendAsync(HttpMethod.Post, path, body: body, timeout: timeout));
        return ExitCodes.Success;
    }

    private static Command Update(CliIo io)
    {
        var id = Id();
        var name = new Argument<string>("update-name") { Description = "The update name" };
        var run = new Option<string?>("--run-id") { Description = "Target this run" };
        var wait = new Option<string?>("--wait") { Description = "accepted (default) or completed" };
        var requestId = new Option<string?>("--request-id") { Description = "Idempotency key of the update" };
        var input = new InputOptions();
        return ServerCommand.Create(io, "workflow:update", "Send an update", c =>
        {
            var waitFor = c.Get(wait) ?? "accepted";
            if (waitFor is not ("accepted" or "completed"))
            {
                throw CliException.Invalid($"Invalid --wait '{waitFor}': expected accepted or completed.");
            }

            var body = new JsonObject { ["wait_for"] = waitFor }.Put("request_id", c.Get(requestId)).Put("input", input.Read(c));
            return PrintWithTimeoutAsync(c, $"{RunPath(c, c.Required(id), c.Get(run))}/update/{CommandContext.Segment(c.Required(name))}", body, TimeSpan.FromSeconds(60));
        }, Preflight.Control, [id, name, run, wait, requestId, .. input.Symbols]);
    }

    private static Command WithReason(CliIo io, string verb, string description, bool allowRun)
    {
        var id = Id();
        var reason = new Option<string?>("--reason") { Description = "Reason recorded with the command" };
        var run = new Option<string?>("--run-id") { Description = "Target this run" };
        Symbol[] symbols = allowRun ? [id, reason, run] : [id, reason];
        return ServerCommand.Create(io, $"workflow:{verb}", description,
            c => c.PrintAsync(HttpMethod.Post, $"{RunPath(c, c.Required(id), allowRun ? c.Get(run) : null)}/{verb}", body: new JsonObject().Put("reason", c.Get(reason))),
            Preflight.Control, symbols);
    }

    private static Command History(CliIo io)
    {
        var id = Id();
        var run = RunArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep waiting for new events" };
        var pageSize = new Option<int?>("--page-size") { Description = "Events per page" };
        return ServerCommand.Create(io, "workflow:history", "A run's history, every page", async c =>
        {
            var path = $"workflows/{CommandContext.Segment(c.Required(id))}/runs/{CommandContext.Segment(c.Required(run))}/history";
            JsonObject? merged = null;
            string? token = null;
            do
            {
                var page = await c.SendAsync(HttpMethod.Get, path, new QueryString()
                    .Add("wait_new_event", c.Get(follow)).Add("page_size", c.Get(pageSize)).Add("next_page_token", token),
                    timeout: c.Get(follow) ? TimeSpan.FromSeconds(90) : null) as JsonObject;
                if (merged is null)
                {
                    merged = page;
                }
                else if (page?["events"] is JsonArray more && merged["events"] is JsonArray events)
                {
                    foreach (var item in more.ToList())
                    {
                        events.Add(item?.DeepClone());
                    }

                    merged["next_page_token"] = page["next_page_token"]?.DeepClone();
                }

                token = page?["next_page_token"] is JsonValue next && next.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
            }
            while (token is not null);

            c.Write(merged);
            return ExitCodes.Success;
        }, Preflight.Control, id, run, follow, pageSize);
    }

    private static async Task<JsonNode?> UntilTerminalAsync(CommandContext c, string path)
    {
        while (true)
        {
            var document = await c.SendAsync(HttpMethod.Get, path);
            if (document?["is_terminal"] is JsonValue terminal && terminal.TryGetValue<bool>(out var done) && done)
            {
                return document;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), c.CancellationToken);
        }
    }
}
