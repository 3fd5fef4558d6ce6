using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// Workflow-definition fingerprint pinning for polyglot workers (rollout contract §7, invariants 22 and 45–48): the
/// fingerprint recorded at start or first claim, the claim and query refusals, and the re-registration guard.
/// </summary>
public sealed class FingerprintPinningTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_QUERY_TASK_TIMEOUT", "1"));

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_022_re_registering_an_active_worker_with_a_changed_fingerprint_is_refused_and_changes_nothing()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w22", queue, "b", Fingerprints("sha256:one"));
        var before = await RegistrationAsync("w22");

        var refused = await fleet.RegisterAsync("w22", queue, "b", Fingerprints("sha256:two"), HttpStatusCode.Conflict);

        Assert.Equal("workflow_definition_changed", (string?)refused["reason"]);
        Assert.Equal(before, await RegistrationAsync("w22"));
        await fleet.RegisterAsync("w22-restarted", queue, "b", Fingerprints("sha256:two"));
    }

    [Fact]
    public async Task Invariant_045_a_pinned_run_is_claimed_only_by_a_worker_advertising_its_fingerprint()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w45-other", queue, null, Fingerprints("sha256:new"));
        await fleet.RegisterAsync("w45-none", queue, null);
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_definition_fingerprint"] = "sha256:old" });
        var before = await TaskRowAsync((string)run["run_id"]!);

        Assert.Null(await fleet.PollWorkflowAsync("w45-other", queue));
        Assert.Null(await fleet.PollWorkflowAsync("w45-none", queue));
        Assert.Equal(before, await TaskRowAsync((string)run["run_id"]!));

        await fleet.RegisterAsync("w45-pinned", queue, null, Fingerprints("sha256:old"));
        var task = await fleet.PollWorkflowAsync("w45-pinned", queue);

        Assert.Equal((string?)run["run_id"], (string?)task!["run_id"]);
        Assert.Equal("sha256:old", (string?)WorkflowHarness.LastEvent(task, "WorkflowStarted")["workflow_definition_fingerprint"]);
        Assert.Equal("sha256:old", (string?)(await fleet.ControlGetAsync($"/api/workflows/{run["workflow_id"]}"))["workflow_definition_fingerprint"]);
    }

    [Fact]
    public async Task Invariant_045_the_fingerprint_comes_from_cohort_agreement_at_start_or_else_from_the_first_claim()
    {
        using var fleet = new FleetClient(server);
        var agreeing = FleetClient.NewQueue();
        await fleet.RegisterAsync("w45-a1", agreeing, "b1", Fingerprints("sha256:agreed"));
        await fleet.RegisterAsync("w45-a2", agreeing, "b1", Fingerprints("sha256:agreed"));
        var agreed = await fleet.StartAsync(agreeing, extra: new JsonObject { ["build_id"] = "b1" });

        var split = FleetClient.NewQueue();
        await fleet.RegisterAsync("w45-s1", split, null, Fingerprints("sha256:left"));
        await fleet.RegisterAsync("w45-s2", split, null, Fingerprints("sha256:right"));
        var undecided = await fleet.StartAsync(split);
        var undecidedAtStart = await FingerprintAsync(undecided);
        var first = await fleet.PollWorkflowAsync("w45-s2", split);
        await database.ExecuteAsync($"UPDATE workflow_tasks SET status = 'ready', lease_owner = NULL, lease_expires_at = NULL WHERE id = '{first!["task_id"]}'");

        Assert.Equal("sha256:agreed", await FingerprintAsync(agreed));
        Assert.Null(undecidedAtStart);
        Assert.Equal("sha256:right", await FingerprintAsync(undecided));
        Assert.Null(await fleet.PollWorkflowAsync("w45-s1", split));
        Assert.NotNull(await fleet.PollWorkflowAsync("w45-s2", split));
    }

    [Fact]
    public async Task Invariant_045_with_pinning_off_any_worker_claims_a_pinned_run()
    {
        using var hotSwap = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_PIN_TO_RECORDED_FINGERPRINT", "false"));
        using var fleet = new FleetClient(hotSwap);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w45-hot", queue, null, Fingerprints("sha256:new"));
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_definition_fingerprint"] = "sha256:old" });

        Assert.Equal((string?)run["run_id"], (string?)(await fleet.PollWorkflowAsync("w45-hot", queue))!["run_id"]);
    }

    [Fact]
    public async Task Invariant_046_a_run_without_a_fingerprint_constrains_neither_claims_nor_queries()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w46", queue, null, Fingerprints("sha256:any"));
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET workflow_definition_fingerprints = '{}' WHERE worker_id = 'w46'");
        var run = await fleet.StartAsync(queue);

        var task = await fleet.PollWorkflowAsync("w46", queue);
        var query = await fleet.ControlPostAsync($"/api/workflows/{run["workflow_id"]}/query/status", [], HttpStatusCode.GatewayTimeout);

        Assert.Equal((string?)run["run_id"], (string?)task!["run_id"]);
        Assert.Null(await FingerprintAsync(run));
        Assert.Equal("query_worker_timeout", (string?)query["reason"]);
    }

    [Fact]
    public async Task Invariant_047_a_query_for_a_pinned_run_needs_a_worker_advertising_the_fingerprint()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w47-new", queue, null, Fingerprints("sha256:new"));
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_definition_fingerprint"] = "sha256:old" });

        var incompatible = await fleet.ControlPostAsync($"/api/workflows/{run["workflow_id"]}/query/status", [], HttpStatusCode.Conflict);
        await fleet.RegisterAsync("w47-old", queue, null, Fingerprints("sha256:old"));
        var routed = await fleet.ControlPostAsync($"/api/workflows/{run["workflow_id"]}/query/status", [], HttpStatusCode.GatewayTimeout);

        Assert.Equal("query_worker_incompatible", (string?)incompatible["reason"]);
        Assert.Equal("query_worker_timeout", (string?)routed["reason"]);
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_query_tasks WHERE workflow_instance_id = '{run["workflow_id"]}' AND required_fingerprint = 'sha256:old'"));
    }

    [Fact]
    public async Task Invariant_048_a_closed_pinned_run_has_no_claimable_task_and_its_successor_records_the_current_fingerprint()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync("w48", queue, null, Fingerprints("sha256:v1"));
        var run = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_definition_fingerprint"] = "sha256:v1" });
        var task = await fleet.PollWorkflowAsync("w48", queue);
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET workflow_definition_fingerprints = '{\"demo\": \"sha256:v2\"}' WHERE worker_id = 'w48'");

        await fleet.CompleteAsync("w48", task!, new JsonObject { ["type"] = "continue_as_new", ["arguments"] = FleetClient.Blob.DeepClone() });
        var successor = await database.ScalarAsync<string>($"SELECT continued_to_run_id FROM workflow_runs WHERE id = '{run["run_id"]}'");
        var next = await fleet.PollWorkflowAsync("w48", queue);

        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE run_id = '{run["run_id"]}' AND status IN ('ready', 'leased')"));
        Assert.Equal("sha256:v1", await FingerprintAsync(run));
        Assert.Equal(successor, (string?)next!["run_id"]);
        Assert.Equal("sha256:v2", (string?)WorkflowHarness.LastEvent(next, "WorkflowStarted")["workflow_definition_fingerprint"]);
        Assert.Equal("sha256:v2", await database.ScalarAsync<string>($"SELECT workflow_definition_fingerprint FROM workflow_runs WHERE id = '{successor}'"));
    }

    private static JsonObject Fingerprints(string fingerprint) => new() { ["demo"] = fingerprint };

    private Task<string?> FingerprintAsync(JsonObject start) =>
        database.ScalarAsync<string>($"SELECT workflow_definition_fingerprint FROM workflow_runs WHERE id = '{start["run_id"]}'");

    private async Task<string> TaskRowAsync(string runId) =>
        await database.ScalarAsync<string>($"SELECT row_to_json(t)::text FROM workflow_tasks t WHERE run_id = '{runId}'") ?? string.Empty;

    private async Task<string> RegistrationAsync(string workerId) =>
        await database.ScalarAsync<string>($"SELECT row_to_json(r)::text FROM workflow_worker_registrations r WHERE worker_id = '{workerId}'") ?? string.Empty;
}
