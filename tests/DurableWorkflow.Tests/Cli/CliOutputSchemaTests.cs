using DurableWorkflow.Tests.Protocol;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// <c>dw ... --json</c> against a live server prints documents the official CLI's published output schemas accept
/// (shared/fixtures/cli-json-envelopes), so tooling written for the official CLI reads this one's output.
/// </summary>
public sealed class CliOutputSchemaTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task Rollout_and_operator_commands_match_their_schemas()
    {
        using var worker = await CliFleet.RegisterAsync(fixture.Server, "schema-q", "schema-b1", "Order");
        using var unversioned = await CliFleet.RegisterAsync(fixture.Server, "schema-q", null, "Order");

        await AssertSchemaAsync("task-queue:build-ids", "task-queue:build-ids", "schema-q");
        await AssertSchemaAsync("task-queue:drain", "task-queue:drain", "schema-q", "--build-id", "schema-b1");
        await AssertSchemaAsync("task-queue:resume", "task-queue:resume", "schema-q", "--unversioned");
        await AssertSchemaAsync("system:operator-metrics", "system:operator-metrics");
        await AssertSchemaAsync("server:health", "server:health");
    }

    [Fact]
    public async Task Namespace_worker_workflow_and_schedule_commands_match_their_schemas()
    {
        using var worker = await CliFleet.RegisterAsync(fixture.Server, "schema-w", "schema-b2", "Order");
        await CliFleet.StartAsync(fixture.Server, "Order", "schema-w", "schema-wf-1");
        var schedule = await CliRun.InProcessAsync(Env, "schedule:create", "--schedule-id", "schema-s", "-t", "Order", "--cron", "0 * * * *", "--json");
        Assert.True(schedule.ExitCode == 0, schedule.ToString());

        await AssertSchemaAsync("namespace:list", "namespace:list");
        await AssertSchemaAsync("namespace:describe", "namespace:describe", "default");
        await AssertSchemaAsync("worker:list", "worker:list");
        await AssertSchemaAsync("worker:describe", "worker:describe", worker.WorkerId);
        await AssertSchemaAsync("workflow:list", "workflow:list");
        await AssertSchemaAsync("workflow:describe", "workflow:describe", "schema-wf-1");
        await AssertSchemaAsync("schedule:list", "schedule:list");
        await AssertSchemaAsync("schedule:describe", "schedule:describe", "schema-s");
    }

    private async Task AssertSchemaAsync(string schemaCommand, params string[] args)
    {
        var result = await CliRun.InProcessAsync(Env, [.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result}");
        var violations = OutputSchema.Violations(result.Json(), OutputSchema.ForCommand(schemaCommand));
        Assert.True(violations.Count == 0, $"{string.Join(' ', args)}: {string.Join("; ", violations)}");
    }
}
