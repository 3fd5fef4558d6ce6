using System.CommandLine;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>system:*</c>: operator metrics and the repair, activity-timeout and retention status and passes.</summary>
public static class SystemCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return ServerCommand.Create(io, "system:operator-metrics", "Operator metrics snapshot of the namespace",
            c => c.PrintAsync(HttpMethod.Get, "system/operator-metrics"));
        yield return ServerCommand.Create(io, "system:repair-status", "Task repair candidates and policy",
            c => c.PrintAsync(HttpMethod.Get, "system/repair"));
        yield return ServerCommand.Create(io, "system:activity-timeout-status", "Overdue activity timeouts",
            c => c.PrintAsync(HttpMethod.Get, "system/activity-timeouts"));
        yield return ServerCommand.Create(io, "system:retention-status", "History retention status",
            c => c.PrintAsync(HttpMethod.Get, "system/retention"));

        var repairRuns = new Option<string[]>("--run-id") { Description = "Repair only this run (repeatable)" };
        var instance = new Option<string?>("--instance-id") { Description = "Repair only this workflow instance" };
        yield return ServerCommand.Create(io, "system:repair-pass", "Run one task repair pass", c =>
            PassAsync(c, "system/repair/pass", new JsonObject().Put("run_ids", c.Get(repairRuns)).Put("instance_id", c.Get(instance))),
            Preflight.Control, repairRuns, instance);

        var executions = new Option<string[]>("--execution-id") { Description = "Only this activity execution (repeatable)" };
        var timeoutLimit = new Option<int?>("--limit") { Description = "At most this many executions" };
        yield return ServerCommand.Create(io, "system:activity-timeout-pass", "Run one activity timeout pass", c =>
            PassAsync(c, "system/activity-timeouts/pass", new JsonObject().Put("execution_ids", c.Get(executions)).Put("limit", c.Get(timeoutLimit))),
            Preflight.Control, executions, timeoutLimit);

        var retentionRuns = new Option<string[]>("--run-id") { Description = "Only this run (repeatable)" };
        var retentionLimit = new Option<int?>("--limit") { Description = "At most this many runs" };
        yield return ServerCommand.Create(io, "system:retention-pass", "Run one history retention pass", c =>
            PassAsync(c, "system/retention/pass", new JsonObject().Put("run_ids", c.Get(retentionRuns)).Put("limit", c.Get(retentionLimit))),
            Preflight.Control, retentionRuns, retentionLimit);
    }

    /// <summary>A pass prints the server body; in human mode a pass that reports failures exits 1, as the official CLI does.</summary>
    private static async Task<int> PassAsync(CommandContext context, string path, JsonObject body)
    {
        var document = await context.SendAsync(HttpMethod.Post, path, body: body);
        context.Write(document);
        var failures = document?["failures"] switch
        {
            JsonArray list => list.Count,
            JsonValue value when value.TryGetValue<int>(out var count) => count,
            _ => 0,
        };
        return context.Output.Mode == OutputMode.Table && failures > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }
}
