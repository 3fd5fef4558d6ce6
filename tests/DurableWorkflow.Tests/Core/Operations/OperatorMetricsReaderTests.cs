using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Operations;

/// <summary>
/// Issue 9 operator surfaces: <c>GET /api/system/operator-metrics</c> (control-plane §10.2), <c>GET /api/system/metrics</c>
/// (§10.1) and the admin health snapshot, against seeded rows with time moved in SQL.
/// </summary>
public sealed class OperatorMetricsReaderTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private static readonly string[] TopLevelKeys =
    [
        "generated_at", "runs", "tasks", "activities", "backlog", "repair", "starts", "history", "command_contracts",
        "projections", "schedules", "workers", "backend", "structural_limits", "update_wait", "repair_policy", "matching_role",
    ];

    private static readonly (string Block, string Oldest, string Age)[] AgePairs =
    [
        ("runs", "oldest_repair_needed_at", "max_repair_needed_age_ms"),
        ("runs", "oldest_wait_started_at", "max_wait_age_ms"),
        ("tasks", "oldest_lease_expired_at", "max_lease_expired_age_ms"),
        ("tasks", "oldest_ready_due_at", "max_ready_due_age_ms"),
        ("tasks", "oldest_dispatch_overdue_since", "max_dispatch_overdue_age_ms"),
        ("tasks", "oldest_claim_failed_at", "max_claim_failed_age_ms"),
        ("tasks", "oldest_dispatch_failed_at", "max_dispatch_failed_age_ms"),
        ("tasks", "oldest_unhealthy_at", "max_unhealthy_age_ms"),
        ("activities", "oldest_retrying_started_at", "max_retrying_age_ms"),
        ("activities", "oldest_timeout_overdue_at", "max_timeout_overdue_age_ms"),
        ("backlog", "oldest_compatibility_blocked_started_at", "max_compatibility_blocked_age_ms"),
        ("starts", "oldest_pending_start_at", "max_pending_ms"),
        ("schedules", "oldest_overdue_at", "max_overdue_ms"),
        ("repair", "oldest_task_candidate_created_at", "max_task_candidate_age_ms"),
        ("repair", "oldest_missing_run_started_at", "max_missing_run_age_ms"),
    ];

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Key_inventory_matches_the_spec_and_the_cli_schema()
    {
        var metrics = await OperatorMetricsAsync();

        Assert.Equal(TopLevelKeys.Order(StringComparer.Ordinal), metrics.Select(p => p.Key).Order(StringComparer.Ordinal));
        var schemaPath = Path.Combine(SharedFixtures.Root, "cli-json-envelopes", "schemas", "operator-metrics.schema.json");
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(schemaPath))!["properties"]!["operator_metrics"]!["properties"]!.AsObject();
        foreach (var (block, definition) in schema)
        {
            Assert.True(metrics.ContainsKey(block), $"missing block {block}");
            foreach (var (key, _) in definition!["properties"]?.AsObject() ?? [])
            {
                Assert.True(metrics[block]!.AsObject().ContainsKey(key), $"missing {block}.{key}");
            }
        }

        Assert.Equal(
            ["runs", "rows", "projected_runs", "runs_with_timers", "projected_runs_with_timers", "missing_runs_with_timers",
             "stale_projected_runs", "schema_version_mismatch_runs", "schema_version_mismatch_rows", "orphaned", "needs_rebuild",
             "oldest_updated_at", "newest_updated_at"],
            metrics["projections"]!["run_timer_entries"]!.AsObject().Select(p => p.Key));
        Assert.Equal(25, (int)metrics["repair"]!["scan_limit"]!);
        Assert.Equal("scope_fair_round_robin", (string?)metrics["repair_policy"]!["scan_strategy"]);
        Assert.Equal(2000, (int)metrics["structural_limits"]!["pending_activity_count"]!);
        Assert.Equal(10000, (int)metrics["history"]!["event_threshold"]!);
        Assert.Equal("ok", (string?)metrics["backend"]!["severity"]);
    }

    [Fact]
    public async Task Invariant_104_unhealthy_tasks_is_the_sum_of_its_parts()
    {
        await ResetAsync();
        using var harness = await WorkflowHarness.CreateAsync(server);
        var runs = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            runs.Add((string)(await harness.StartAsync())["run_id"]!);
        }

        await database.ExecuteAsync(
            $"""
            UPDATE workflow_tasks SET last_dispatch_attempt_at = now() - interval '10 seconds', last_dispatch_error = 'boom' WHERE run_id = '{runs[0]}';
            UPDATE workflow_tasks SET last_claim_failed_at = now() - interval '20 seconds', last_claim_error = 'refused' WHERE run_id = '{runs[1]}';
            UPDATE workflow_tasks SET created_at = now() - interval '2 minutes' WHERE run_id = '{runs[2]}';
            UPDATE workflow_tasks SET status = 'leased', lease_owner = 'w', leased_at = now() - interval '1 minute',
                   lease_expires_at = now() - interval '5 seconds' WHERE run_id = '{runs[3]}';
            UPDATE workflow_tasks SET available_at = now() + interval '1 hour' WHERE run_id = '{runs[4]}';
            """);

        var metrics = await OperatorMetricsAsync();
        var tasks = metrics["tasks"]!;
        Assert.Equal(1, (int)tasks["dispatch_failed"]!);
        Assert.Equal(1, (int)tasks["claim_failed"]!);
        Assert.Equal(1, (int)tasks["dispatch_overdue"]!);
        Assert.Equal(1, (int)tasks["lease_expired"]!);
        Assert.Equal(4, (int)tasks["unhealthy"]!);
        Assert.Equal(4, (int)metrics["backlog"]!["unhealthy_tasks"]!);
        Assert.Equal(5, (int)tasks["open"]!);
        Assert.Equal(1, (int)tasks["delayed"]!);
        Assert.Equal(1, (int)tasks["leased"]!);
        Assert.Equal(3, (int)tasks["ready_due"]!);
        Assert.Equal((int)tasks["ready_due"]!, (int)metrics["backlog"]!["runnable_tasks"]!);
        Assert.Equal((string?)tasks["oldest_dispatch_overdue_since"], (string?)tasks["oldest_unhealthy_at"]);
        Assert.InRange((long)tasks["max_unhealthy_age_ms"]!, 119_000, 600_000);
    }

    [Fact]
    public async Task Invariant_105_every_age_is_zero_exactly_when_its_oldest_is_null()
    {
        await ResetAsync();
        AssertAgePairs(await OperatorMetricsAsync());

        using var harness = await WorkflowHarness.CreateAsync(server);
        var run = (string)(await harness.StartAsync())["run_id"]!;
        await database.ExecuteAsync(
            $"""
            UPDATE workflow_tasks SET status = 'leased', lease_owner = 'w', leased_at = now() - interval '1 minute',
                   lease_expires_at = now() - interval '5 seconds' WHERE run_id = '{run}';
            UPDATE workflow_runs SET liveness_state = 'workflow_task_waiting_for_compatible_worker',
                   wait_started_at = now() - interval '30 seconds' WHERE id = '{run}';
            """);

        var metrics = await OperatorMetricsAsync();
        AssertAgePairs(metrics);
        Assert.NotNull((string?)metrics["tasks"]!["oldest_lease_expired_at"]);
        Assert.Equal(1, (int)metrics["backlog"]!["compatibility_blocked_runs"]!);
        Assert.Equal(1, (int)metrics["runs"]!["compatibility_blocked"]!);
        Assert.InRange((long)metrics["backlog"]!["max_compatibility_blocked_age_ms"]!, 29_000, 600_000);
        Assert.Equal(1, (int)metrics["runs"]!["waiting"]!);
    }

    [Fact]
    public async Task Invariant_103_worker_counts_are_distinct_ids_and_live_rows()
    {
        await ResetAsync();
        using var first = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = "build-a" });
        using var second = await WorkflowHarness.CreateAsync(server);
        using var expired = await WorkflowHarness.CreateAsync(server);
        await database.ExecuteAsync(
            $"UPDATE workflow_worker_compatibility_heartbeats SET expires_at = now() - interval '1 second' WHERE worker_id = '{expired.WorkerId}'");

        var workers = (await OperatorMetricsAsync())["workers"]!;

        Assert.Equal(2, (int)workers["active_workers"]!);
        Assert.Equal(2, (int)workers["active_worker_scopes"]!);
        Assert.InRange((int)workers["active_workers_supporting_required"]!, 0, 2);
        var fleet = workers["fleet"]!.AsArray().Select(e => e!.AsObject()).ToDictionary(e => (string)e["worker_id"]!);
        Assert.Equal(new[] { first.WorkerId, second.WorkerId }.Order(StringComparer.Ordinal), fleet.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["build-a"], fleet[first.WorkerId]["supported"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(first.Queue, (string?)fleet[first.WorkerId]["queue"]);
        Assert.Equal("default", (string?)workers["compatibility_namespace"]);
    }

    [Fact]
    public async Task Invariant_095_matching_role_is_reported_identically_in_cluster_info_and_operator_metrics()
    {
        using var control = server.ControlClient();
        using var response = await control.GetAsync("/api/cluster/info");
        var clusterRole = (await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["topology"]!["matching_role"]!;
        var metricsRole = (await OperatorMetricsAsync())["matching_role"]!;

        Assert.True(JsonNode.DeepEquals(clusterRole, metricsRole), $"{clusterRole.ToJsonString()} != {metricsRole.ToJsonString()}");
        Assert.Equal("in_worker", (string?)metricsRole["shape"]);
        Assert.Equal("worker_loop", (string?)metricsRole["wake_owner"]);
        Assert.Equal(["connection", "queue", "compatibility", "namespace"], metricsRole["partition_primitives"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("lease_ownership", (string?)metricsRole["backpressure_model"]);
    }

    [Fact]
    public async Task Schedules_block_counts_overdue_active_schedules()
    {
        await ResetAsync();
        await database.ExecuteAsync(
            """
            INSERT INTO workflow_schedules (id, namespace, schedule_id, spec, action, status, next_fire_at, fires_count, failures_count)
            VALUES ('01SCHEDOVERDUE000000000000', 'default', 'overdue', '{}', '{}', 'active', now() - interval '90 seconds', 3, 1),
                   ('01SCHEDFUTURE0000000000000', 'default', 'future', '{}', '{}', 'active', now() + interval '1 hour', 2, 0),
                   ('01SCHEDPAUSED0000000000000', 'default', 'paused', '{}', '{}', 'paused', now() - interval '1 hour', 7, 7);
            """);

        var schedules = (await OperatorMetricsAsync())["schedules"]!;

        Assert.Equal(2, (int)schedules["active"]!);
        Assert.Equal(1, (int)schedules["paused"]!);
        Assert.Equal(1, (int)schedules["missed"]!);
        Assert.NotNull((string?)schedules["oldest_overdue_at"]);
        Assert.InRange((long)schedules["max_overdue_ms"]!, 89_000, 600_000);
        Assert.Equal(5, (long)schedules["fires_total"]!);
        Assert.Equal(1, (long)schedules["failures_total"]!);
    }

    [Fact]
    public async Task Health_snapshot_warns_on_unhealthy_tasks_and_summarises_routing_drains()
    {
        await ResetAsync();
        using var harness = await WorkflowHarness.CreateAsync(server, new JsonObject { ["build_id"] = "old" });
        var run = (string)(await harness.StartAsync())["run_id"]!;
        await database.ExecuteAsync(
            $"""
            UPDATE workflow_tasks SET created_at = now() - interval '2 minutes' WHERE run_id = '{run}';
            INSERT INTO workflow_worker_build_id_rollouts (namespace, task_queue, build_id, drain_intent, drained_at)
            VALUES ('default', '{harness.Queue}', 'old', 'draining', '2026-01-02T03:04:05Z');
            """);

        using var control = server.ControlClient();
        using var response = await control.GetAsync("/api/system/health");
        var health = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal("warning", (string?)health["status"]);
        Assert.True((bool)health["healthy"]!);
        var checks = health["checks"]!.AsArray().Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!);
        Assert.Equal(12, checks.Count);
        Assert.Equal("warning", (string?)checks["task_transport"]["status"]);
        Assert.Equal("warning", (string?)checks["routing_health"]["status"]);
        Assert.Equal("ok", (string?)checks["scheduler_role"]["status"]);
        Assert.Equal("warn", (string?)checks["worker_compatibility"]["data"]!["validation_mode"]);
        Assert.Equal(11, (int)health["categories"]!["correctness"]!["checks"]!);
        var drains = health["routing_drains"]!;
        Assert.Equal(1, (int)drains["queues_with_drains"]!);
        Assert.Equal(1, (int)drains["draining_builds"]!);
        Assert.Equal(1, (int)drains["draining_workers"]!);
        Assert.Equal(0, (int)drains["active_workers"]!);
        var queue = drains["queues"]![0]!;
        Assert.Equal(harness.Queue, (string?)queue["task_queue"]);
        Assert.Equal("2026-01-02T03:04:05.000000Z", (string?)queue["latest_drained_at"]);
    }

    [Fact]
    public async Task System_metrics_reports_consecutive_workflow_task_failures_by_type()
    {
        await ResetAsync();
        using var harness = await WorkflowHarness.CreateAsync(server);
        var high = (string)(await harness.StartAsync("tests.metric-high"))["run_id"]!;
        var middle = (string)(await harness.StartAsync("tests.metric-middle"))["run_id"]!;
        await harness.StartAsync("tests.metric-clean");
        await database.ExecuteAsync(
            $"""
            UPDATE workflow_tasks SET attempt_count = 7, last_failed_at = now() WHERE run_id = '{high}';
            UPDATE workflow_tasks SET attempt_count = 3, last_failed_at = now() WHERE run_id = '{middle}';
            """);

        using var control = server.ControlClient();
        using var response = await control.GetAsync("/api/system/metrics");
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal("default", (string?)body["namespace"]);
        var failures = body["metrics"]!["dw_workflow_task_consecutive_failures"]!;
        Assert.Equal(7, (int)failures["max_consecutive_failures"]!);
        Assert.Equal(2, (int)failures["failed_task_count"]!);
        Assert.Equal(2, (int)failures["workflow_type_count"]!);
        Assert.False((bool)failures["workflow_types_truncated"]!);
        Assert.Equal(["tests.metric-high", "tests.metric-middle"],
            failures["by_workflow_type"]!.AsArray().Select(s => (string)s!["workflow_type"]!));
        var drift = body["metrics"]!["dw_projection_drift_total"]!;
        Assert.Equal(5, (int)drift["table_count"]!);
        Assert.Equal(0, (int)drift["total"]!);
        Assert.NotNull(body["cardinality"]!["metric_label_sets"]!["dw_projection_drift_total"]);
    }

    [Theory]
    [InlineData("/api/system/operator-metrics")]
    [InlineData("/api/system/metrics")]
    [InlineData("/api/system/health")]
    public async Task Non_admin_callers_are_refused(string path)
    {
        using var anonymous = server.ControlClient(token: null);
        using var unauthenticated = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);

        using var operatorClient = server.ControlClient(ServerFactory.OperatorToken);
        using var forbidden = await operatorClient.GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    /// <summary>Tests of this class share one database: close what earlier tests left open so each counts only its own rows.</summary>
    private Task ResetAsync() => database.ExecuteAsync(
        """
        UPDATE workflow_tasks SET status = 'cancelled', closed_at = now() WHERE status IN ('ready', 'leased');
        UPDATE workflow_runs SET liveness_state = NULL, wait_started_at = NULL;
        DELETE FROM workflow_worker_compatibility_heartbeats;
        UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '1 day';
        DELETE FROM workflow_worker_build_id_rollouts;
        DELETE FROM workflow_schedules;
        """);

    private static void AssertAgePairs(JsonObject metrics)
    {
        foreach (var (block, oldest, age) in AgePairs)
        {
            var isNull = metrics[block]![oldest] is null;
            var ageMs = (long)metrics[block]![age]!;
            Assert.True(isNull == (ageMs == 0), $"{block}.{oldest} null={isNull} but {age}={ageMs}");
        }
    }

    private async Task<JsonObject> OperatorMetricsAsync()
    {
        using var control = server.ControlClient();
        using var response = await control.GetAsync("/api/system/operator-metrics");
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("default", (string?)body["namespace"]);
        return body["operator_metrics"]!.AsObject();
    }
}
