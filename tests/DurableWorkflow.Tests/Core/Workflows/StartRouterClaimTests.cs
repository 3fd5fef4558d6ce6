using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Workflows;

/// <summary>
/// The start's routing resolved inside the statement that claims the workflow id: the run, its first task and its
/// opening history carry the routed marker and fingerprint, and every answer keeps its precedence (gate refusal, then
/// search attribute types, then the duplicate policy) with nothing written by a refused or invalid start.
/// </summary>
public sealed class StartRouterClaimTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory failMode = ServerFactory.WithRoleTokens(
        database.ConnectionString, ("DW_V2_FLEET_VALIDATION_MODE", "Fail"), ("DW_V2_CURRENT_COMPATIBILITY", "new"));

    public void Dispose() => failMode.Dispose();

    [Fact]
    public async Task a_start_through_a_promoted_build_stamps_run_task_and_history_with_its_marker_and_cohort_fingerprint()
    {
        using var fleet = new FleetClient(failMode);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("wp-1", queue, "p1", new JsonObject { ["demo"] = "fp-1" });
        await fleet.ControlPostAsync($"/api/task-queues/{queue}/build-ids/promote", new JsonObject { ["build_id"] = "p1" }, HttpStatusCode.OK);

        var started = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_id"] = "promoted-start" });

        var runId = (string)started["run_id"]!;
        Assert.Equal("started_new", (string?)started["outcome"]);
        Assert.Equal("p1|fp-1|2|pending", await database.ScalarAsync<string>(
            $"SELECT compatibility || '|' || workflow_definition_fingerprint || '|' || last_history_sequence || '|' || status FROM workflow_runs WHERE id = '{runId}'"));
        Assert.Equal("workflow|ready|p1", await database.ScalarAsync<string>(
            $"SELECT string_agg(task_type || '|' || status || '|' || compatibility, ',') FROM workflow_tasks WHERE run_id = '{runId}'"));
        Assert.Equal("1:StartAccepted,2:WorkflowStarted", await database.ScalarAsync<string>(
            $"SELECT string_agg(sequence || ':' || event_type, ',' ORDER BY sequence) FROM workflow_history_events WHERE run_id = '{runId}'"));
        Assert.Equal("fp-1", await database.ScalarAsync<string>(
            $"SELECT payload ->> 'workflow_definition_fingerprint' FROM workflow_history_events WHERE run_id = '{runId}' AND event_type = 'WorkflowStarted'"));
        Assert.Equal("start|accepted|started_new|1", await database.ScalarAsync<string>(
            $"SELECT command_type || '|' || status || '|' || outcome || '|' || command_sequence FROM workflow_commands WHERE run_id = '{runId}'"));
    }

    [Fact]
    public async Task a_refused_start_on_a_taken_id_is_answered_by_the_duplicate_policy_and_writes_only_its_rejection()
    {
        using var fleet = new FleetClient(failMode);
        var queue = FleetClient.NewQueue();
        await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_id"] = "refused-taken" });
        await fleet.RegisterAsync("wr-old", queue, "old");
        var runsBefore = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs");

        var duplicate = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_id"] = "refused-taken" }, expected: HttpStatusCode.Conflict);

        Assert.Equal("rejected_duplicate", (string?)duplicate["outcome"]);
        Assert.Equal(runsBefore, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs"));
        Assert.Equal("accepted,rejected", await database.ScalarAsync<string>(
            "SELECT string_agg(status, ',' ORDER BY status) FROM workflow_commands WHERE workflow_instance_id = 'refused-taken'"));
    }

    [Fact]
    public async Task the_gate_refusal_outranks_a_search_attribute_mismatch_and_a_mismatch_alone_writes_nothing()
    {
        using var fleet = new FleetClient(failMode);
        await fleet.ControlPostAsync("/api/search-attributes", new JsonObject { ["name"] = "Flagged", ["type"] = "bool" }, HttpStatusCode.Created);
        var covered = FleetClient.NewQueue();
        await fleet.RegisterAsync("wm-old", covered, "old");
        var mismatching = new JsonObject { ["Flagged"] = "not-a-bool" };
        var commandsBefore = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_commands");

        var refused = await fleet.StartAsync(covered, extra: new JsonObject { ["workflow_id"] = "mismatch-refused", ["search_attributes"] = mismatching.DeepClone() },
            expected: HttpStatusCode.Conflict);
        var invalid = await fleet.StartAsync(FleetClient.NewQueue(), extra: new JsonObject { ["workflow_id"] = "mismatch-only", ["search_attributes"] = mismatching.DeepClone() },
            expected: (HttpStatusCode)422);

        Assert.Equal("compatibility_blocked", (string?)refused["reason"]);
        Assert.Equal("validation_failed", (string?)invalid["reason"]);
        Assert.Equal(commandsBefore + 1, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_commands"));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM workflow_instances WHERE id IN ('mismatch-refused', 'mismatch-only')"));
    }
}
