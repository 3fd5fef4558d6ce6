using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Repair;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Core.Scheduling.Passes;
using DurableWorkflow.TestWorker;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Scheduling.Passes;

/// <summary>
/// The task repair pass and its admin routes (rollout contract §8.3–8.4, invariants 76–86, 88–89; control-plane §10.4)
/// against real runs whose leases, tasks and clocks were moved with SQL. Every pass here is narrowed to the test's own
/// runs (the class shares one database), except where a test is about the global throttle or projection.
/// </summary>
public sealed class TaskRepairPassTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_076_089_an_expired_lease_goes_back_to_ready_on_the_same_row_and_is_redelivered_with_its_id()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var (runId, taskId) = await LeasedAsync(harness);
        await ExpireAsync(taskId);
        var repairsBefore = await database.ScalarAsync<int>($"SELECT repair_count FROM workflow_tasks WHERE id = '{taskId}'");
        var rowsBefore = await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}'");
        using var admin = server.ControlClient();

        using var response = await admin.PostAsync("/api/system/repair/pass", ServerFactory.Json(new JsonObject { ["run_ids"] = new JsonArray(runId) }.ToJsonString()));
        var report = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        foreach (var key in SharedFixtures.ControlPlane("system-repair-pass-parity").Json["response_body"]!.AsObject().Select(p => p.Key))
        {
            Assert.True(report.ContainsKey(key), key);
        }

        Assert.False((bool)report["throttled"]!);
        Assert.Equal(1, (int)report["selected_existing_task_candidates"]!);
        Assert.Equal(1, (int)report["repaired_existing_tasks"]!);
        Assert.Equal(1, (int)report["dispatched_tasks"]!);
        Assert.Equal("ready|||" + (repairsBefore + 1), await database.ScalarAsync<string>(
            $"SELECT status || '|' || COALESCE(lease_owner, '') || '|' || COALESCE(lease_expires_at::text, '') || '|' || repair_count FROM workflow_tasks WHERE id = '{taskId}'"));
        Assert.Equal(rowsBefore, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}'"));

        var redelivered = await harness.PollAsync();
        Assert.Equal(taskId, (string?)redelivered["task_id"]);
        Assert.Equal(rowsBefore, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}'"));
    }

    [Fact]
    public async Task Invariant_077_concurrent_passes_leave_at_most_one_open_workflow_task_per_run()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var missing = await MissingTaskRunAsync(harness);
        var (expiredRun, expiredTask) = await LeasedAsync(harness);
        await ExpireAsync(expiredTask);
        var pass = server.Services.GetRequiredService<TaskRepairPass>();

        var reports = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => pass.RunPassAsync(new TaskRepairRequest(false, [missing, expiredRun]), null, CancellationToken.None))));

        Assert.All(reports, r => Assert.Empty(r.MissingRunFailures));
        Assert.Equal(1, reports.Sum(r => r.RepairedMissingTasks));
        foreach (var runId in new[] { missing, expiredRun })
        {
            Assert.Equal(1L, await database.ScalarAsync<long>(
                $"SELECT count(*) FROM workflow_tasks WHERE run_id = '{runId}' AND task_type = 'workflow' AND status IN ('ready', 'leased')"));
        }
    }

    [Fact]
    public async Task Invariant_078_a_terminal_run_gets_no_task_and_its_open_task_is_settled()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var withTask = (string)(await harness.StartAsync())["run_id"]!;
        var taskId = await database.ScalarAsync<string>($"SELECT id FROM workflow_tasks WHERE run_id = '{withTask}'");
        var withoutTask = await MissingTaskRunAsync(harness);
        foreach (var runId in new[] { withTask, withoutTask })
        {
            await database.ExecuteAsync($"UPDATE workflow_runs SET status = 'completed', closed_reason = 'completed', closed_at = now() WHERE id = '{runId}'");
        }

        // Dispatch-overdue, so the ready task of the closed run is a candidate.
        await database.ExecuteAsync($"UPDATE workflow_tasks SET created_at = now() - interval '1 minute' WHERE id = '{taskId}'");
        var before = await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{withoutTask}'");
        var pass = server.Services.GetRequiredService<TaskRepairPass>();

        var report = await pass.RunPassAsync(new TaskRepairRequest(false, [withTask, withoutTask]), null, CancellationToken.None);

        Assert.Equal(0, report.SelectedMissingTaskCandidates);
        Assert.Equal(0, report.DispatchedTasks);
        Assert.Equal("cancelled", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{taskId}'"));
        Assert.Equal(before, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE run_id = '{withoutTask}'"));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE run_id IN ('{withTask}', '{withoutTask}') AND status IN ('ready', 'leased')"));
    }

    [Fact]
    public async Task Invariant_079_a_second_throttled_pass_within_the_window_changes_nothing_and_a_forced_pass_runs()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var (first, firstTask) = await LeasedAsync(harness);
        var (second, secondTask) = await LeasedAsync(harness);
        await ExpireAsync(firstTask);
        await database.ExecuteAsync($"DELETE FROM workflow_coordination_leases WHERE name = '{TaskRepairStore.ThrottleKey}'");
        var pass = server.Services.GetRequiredService<TaskRepairPass>();

        var ran = await pass.RunPassAsync(new TaskRepairRequest(true, [first]), null, CancellationToken.None);
        Assert.False(ran.Throttled);
        Assert.Equal(1, ran.RepairedExistingTasks);

        await ExpireAsync(secondTask);
        var snapshot = await TaskRowAsync(secondTask);
        var throttled = await pass.RunPassAsync(new TaskRepairRequest(true, [second]), null, CancellationToken.None);
        Assert.True(throttled.Throttled);
        Assert.Equal(0, throttled.SelectedTotalCandidates);
        Assert.Equal(snapshot, await TaskRowAsync(secondTask));

        var forced = await pass.RunPassAsync(new TaskRepairRequest(false, [second]), null, CancellationToken.None);
        Assert.False(forced.Throttled);
        Assert.Equal(1, forced.RepairedExistingTasks);
        Assert.Equal("ready", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{secondTask}'"));
    }

    [Fact]
    public async Task Invariant_097_several_repair_roles_started_together_run_one_unthrottled_pass_per_window()
    {
        using var otherNode = ServerFactory.WithRoleTokens(database.ConnectionString);
        await database.ExecuteAsync($"DELETE FROM workflow_coordination_leases WHERE name = '{TaskRepairStore.ThrottleKey}'");
        var passes = new[] { server, otherNode }
            .SelectMany(node => Enumerable.Repeat(node.Services.GetRequiredService<TaskRepairPass>(), 3))
            .ToList();

        // Narrowed to a run id that does not exist so the passes touch nothing of the other tests in this class.
        var reports = await Task.WhenAll(passes.Select(pass =>
            pass.RunPassAsync(new TaskRepairRequest(true, ["inv97-no-such-run"]), null, CancellationToken.None)));

        Assert.Equal(1, reports.Count(r => !r.Throttled));
        Assert.Equal(5, reports.Count(r => r.Throttled));
    }

    [Fact]
    public void Invariant_080_failure_backoff_doubles_from_redispatch_after_up_to_the_cap()
    {
        var policy = TaskRepairPolicy.Default;
        Assert.Equal([3, 3, 6, 12, 24, 48, 60, 60], Enumerable.Range(0, 8).Select(n => policy.BackoffSeconds(n, immediateFirstRetry: false)));
        Assert.Equal(0, policy.BackoffSeconds(0, immediateFirstRetry: true));
        Assert.Equal(3, policy.BackoffSeconds(1, immediateFirstRetry: true));
        Assert.Equal(10, (policy with { RedispatchAfterSeconds = 5, FailureBackoffMaxSeconds = 10 }).BackoffSeconds(9, immediateFirstRetry: false));
    }

    [Fact]
    public async Task Invariant_081_082_a_pass_selects_at_most_scan_limit_of_each_kind_and_takes_every_scope_in_turn()
    {
        using var limited = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_TASK_REPAIR_SCAN_LIMIT", "2"));
        using var crowded = await WorkflowHarness.CreateAsync(limited);
        using var quiet = await WorkflowHarness.CreateAsync(limited);
        var runs = new List<string>();
        var crowdedTasks = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (runId, taskId) = await LeasedAsync(crowded);
            runs.Add(runId);
            crowdedTasks.Add(taskId);
            runs.Add(await MissingTaskRunAsync(crowded));
        }

        var (quietRun, quietTask) = await LeasedAsync(quiet);
        runs.Add(quietRun);
        foreach (var taskId in crowdedTasks.Append(quietTask))
        {
            await ExpireAsync(taskId);
        }

        var report = await limited.Services.GetRequiredService<TaskRepairPass>()
            .RunPassAsync(new TaskRepairRequest(false, runs), null, CancellationToken.None);

        Assert.Equal(2, report.SelectedExistingTaskCandidates);
        Assert.Equal(2, report.SelectedMissingTaskCandidates);
        Assert.Equal(2, report.RepairedExistingTasks);
        Assert.Equal("ready", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{quietTask}'"));
        Assert.Equal(1L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_tasks WHERE id IN ('{string.Join("','", crowdedTasks)}') AND status = 'ready'"));
    }

    [Fact]
    public async Task Invariant_083_084_a_run_with_no_task_gets_exactly_one_ready_task_with_its_marker_and_routing()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var runId = await MissingTaskRunAsync(harness);
        await database.ExecuteAsync($"UPDATE workflow_runs SET compatibility = 'build-7' WHERE id = '{runId}'");
        var activityRun = await PendingActivityWithoutTaskAsync(harness);
        await database.ExecuteAsync($"UPDATE workflow_runs SET compatibility = 'build-8' WHERE id = '{activityRun}'");
        var pass = server.Services.GetRequiredService<TaskRepairPass>();

        var report = await pass.RunPassAsync(new TaskRepairRequest(false, [runId, activityRun]), null, CancellationToken.None);
        var again = await pass.RunPassAsync(new TaskRepairRequest(false, [runId, activityRun]), null, CancellationToken.None);

        Assert.Equal(2, report.RepairedMissingTasks);
        Assert.Equal(0, again.SelectedMissingTaskCandidates);
        Assert.Equal($"workflow|ready|1|{harness.Queue}|build-7", await database.ScalarAsync<string>(
            $"""
            SELECT string_agg(t.task_type || '|' || t.status || '|' || t.repair_count || '|' || t.task_queue || '|' || t.compatibility, ',')
              FROM workflow_tasks t WHERE t.run_id = '{runId}' AND t.status IN ('ready', 'leased')
            """));
        Assert.Equal($"activity|ready|1|{harness.Queue}|build-8", await database.ScalarAsync<string>(
            $"""
            SELECT string_agg(t.task_type || '|' || t.status || '|' || t.repair_count || '|' || t.task_queue || '|' || t.compatibility, ',')
              FROM workflow_tasks t WHERE t.run_id = '{activityRun}' AND t.status IN ('ready', 'leased')
            """));
        Assert.Equal("workflow_task_ready", await database.ScalarAsync<string>($"SELECT liveness_state FROM workflow_runs WHERE id = '{runId}'"));
    }

    [Fact]
    public async Task Invariant_085_repair_needed_counts_the_projected_runs_and_ages_from_their_oldest_update()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var stuck = await MissingTaskRunAsync(harness);
        var (expiredRun, expiredTask) = await LeasedAsync(harness);
        await ExpireAsync(expiredTask);
        await ProjectAsync();
        await database.ExecuteAsync($"UPDATE workflow_runs SET updated_at = now() - interval '10 minutes' WHERE id = '{stuck}'");
        Assert.Equal("repair_needed", await database.ScalarAsync<string>($"SELECT liveness_state FROM workflow_runs WHERE id = '{expiredRun}'"));

        var (count, ageMs, metrics) = await RepairNeededAsync();
        Assert.True(count >= 2, metrics.ToJsonString());
        Assert.Equal(count, (int)metrics["runs"]!["repair_needed"]!);
        Assert.Equal(count, (int)metrics["backlog"]!["repair_needed_runs"]!);
        var reported = (long)metrics["runs"]!["max_repair_needed_age_ms"]!;
        Assert.True(reported >= 600_000 && Math.Abs(reported - ageMs) < 5_000, $"{reported} vs {ageMs}");

        await server.Services.GetRequiredService<TaskRepairPass>().RunPassAsync(new TaskRepairRequest(false, [stuck, expiredRun]), null, CancellationToken.None);
        Assert.NotEqual("repair_needed", await database.ScalarAsync<string>($"SELECT liveness_state FROM workflow_runs WHERE id = '{stuck}'"));
        Assert.NotEqual("repair_needed", await database.ScalarAsync<string>($"SELECT liveness_state FROM workflow_runs WHERE id = '{expiredRun}'"));
        var (after, afterAge, afterMetrics) = await RepairNeededAsync();
        Assert.Equal(after, (int)afterMetrics["runs"]!["repair_needed"]!);
        Assert.Equal(after == 0, (long)afterMetrics["runs"]!["max_repair_needed_age_ms"]! == 0);
        Assert.True(afterAge < 600_000 || after > 0);
    }

    [Fact]
    public async Task Invariant_086_the_poll_path_recovers_a_given_expired_lease_at_most_once_per_recovery_window()
    {
        using var windowed = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_EXPIRED_WORKFLOW_TASK_RECOVERY_TTL_SECONDS", "600"));
        using var harness = await WorkflowHarness.CreateAsync(windowed);
        var (_, taskId) = await LeasedAsync(harness);
        await ExpireAsync(taskId);

        var recovered = await harness.PollAsync(timeoutSeconds: 1);
        Assert.Equal(taskId, (string?)recovered["task_id"]);
        Assert.Equal(2, (int)recovered["workflow_task_attempt"]!);

        // Expired again inside the window: no node's poll path may recover it again yet.
        await ExpireAsync(taskId);
        var second = await harness.WorkerPostAsync("/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 1 }, HttpStatusCode.OK);
        Assert.Null(second["task"]);
        Assert.Equal("leased|2", await database.ScalarAsync<string>($"SELECT status || '|' || attempt_count FROM workflow_tasks WHERE id = '{taskId}'"));

        await database.ExecuteAsync($"UPDATE workflow_coordination_leases SET expires_at = now() - interval '1 second' WHERE name = '{ExpiredLeases.RecoveryLockPrefix}{taskId}'");
        var third = await harness.PollAsync(timeoutSeconds: 1);
        Assert.Equal(taskId, (string?)third["task_id"]);
        Assert.Equal(3, (int)third["workflow_task_attempt"]!);
    }

    [Fact]
    public async Task Invariant_087_the_owner_of_a_repaired_lease_is_refused_and_changes_nothing()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var (runId, taskId) = await LeasedAsync(harness);
        await ExpireAsync(taskId);
        await server.Services.GetRequiredService<TaskRepairPass>().RunPassAsync(new TaskRepairRequest(false, [runId]), null, CancellationToken.None);
        var current = await harness.PollAsync();
        Assert.Equal(2, (int)current["workflow_task_attempt"]!);
        var snapshot = await TaskRowAsync(taskId);

        var staleAttempt = await harness.CompleteAsync(new JsonObject { ["task_id"] = taskId, ["workflow_task_attempt"] = 1 },
            HttpStatusCode.Conflict, Commands.CompleteWorkflow(null));
        Assert.Equal("workflow_task_attempt_mismatch", (string?)staleAttempt["reason"]);
        var staleOwner = await harness.WorkerPostAsync($"/api/worker/workflow-tasks/{taskId}/heartbeat",
            new JsonObject { ["lease_owner"] = "someone-else", ["workflow_task_attempt"] = 2 }, HttpStatusCode.Conflict);
        Assert.Equal("lease_owner_mismatch", (string?)staleOwner["reason"]);
        Assert.Equal(snapshot, await TaskRowAsync(taskId));
    }

    [Fact]
    public async Task the_tick_pass_is_fenced_a_deposed_scheduler_repairs_nothing()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var (_, taskId) = await LeasedAsync(harness);
        await ExpireAsync(taskId);
        await database.ExecuteAsync($"DELETE FROM workflow_coordination_leases WHERE name = '{TaskRepairStore.ThrottleKey}'");
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        var lease = server.Services.GetRequiredService<SchedulerLease>();
        var fence = (await lease.TryAcquireAsync(CancellationToken.None))!;
        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() - interval '1 second', owner = 'someone-else', token = token + 1");
        var pass = server.Services.GetRequiredService<TaskRepairPass>();
        var snapshot = await TaskRowAsync(taskId);

        await Assert.ThrowsAsync<SchedulerLeaseLostException>(() => pass.RunAsync(fence, CancellationToken.None));
        Assert.Equal(snapshot, await TaskRowAsync(taskId));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_coordination_leases WHERE name = '{TaskRepairStore.ThrottleKey}'"));

        var current = (await lease.TryAcquireAsync(CancellationToken.None))!;
        var summary = await pass.RunAsync(current, CancellationToken.None);
        Assert.StartsWith("repaired ", summary, StringComparison.Ordinal);
        Assert.Equal("ready", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{taskId}'"));
    }

    [Fact]
    public async Task status_route_matches_the_fixture_and_reports_the_configured_policy_in_cluster_info_too()
    {
        using var tuned = ServerFactory.WithRoleTokens(database.ConnectionString,
            ("DW_V2_TASK_REPAIR_LOOP_THROTTLE_SECONDS", "7"), ("DW_V2_TASK_REPAIR_SCAN_LIMIT", "40"));
        using var harness = await WorkflowHarness.CreateAsync(tuned);
        var (_, taskId) = await LeasedAsync(harness);
        await ExpireAsync(taskId);
        using var admin = tuned.ControlClient();

        using var response = await admin.GetAsync("/api/system/repair");
        var status = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        var fixture = SharedFixtures.ControlPlane("system-repair-status-parity").Json["response_body"]!.AsObject();
        foreach (var key in fixture["policy"]!.AsObject().Select(p => p.Key))
        {
            Assert.True(status["policy"]!.AsObject().ContainsKey(key), key);
        }

        foreach (var key in fixture["candidates"]!.AsObject().Select(p => p.Key))
        {
            Assert.True(status["candidates"]!.AsObject().ContainsKey(key), key);
        }

        Assert.Equal(7, (int)status["policy"]!["loop_throttle_seconds"]!);
        Assert.Equal(40, (int)status["candidates"]!["scan_limit"]!);
        var scope = status["candidates"]!["scopes"]!.AsArray().Single(s => (string?)s!["queue"] == harness.Queue)!.AsObject();
        Assert.Equal($"default:{harness.Queue}:any", (string?)scope["scope_key"]);
        Assert.Equal(1, (int)scope["existing_task_candidates"]!);
        foreach (var key in fixture["candidates"]!["scopes"]![0]!.AsObject().Select(p => p.Key))
        {
            Assert.True(scope.ContainsKey(key), key);
        }

        using var info = await admin.GetAsync("/api/cluster/info");
        Assert.Equal(7, (int)(await HttpAssert.JsonAsync(info, HttpStatusCode.OK))["task_repair"]!["policy"]!["loop_throttle_seconds"]!);
    }

    [Fact]
    public async Task pass_route_validates_its_body_and_is_admin_only()
    {
        using var admin = server.ControlClient();
        using var bad = await admin.PostAsync("/api/system/repair/pass", ServerFactory.Json("""{"run_ids": "nope", "instance_id": ""}"""));
        var error = await HttpAssert.JsonAsync(bad, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("validation_failed", (string?)error["reason"]);

        using var operatorClient = server.ControlClient(ServerFactory.OperatorToken);
        using var refused = await operatorClient.GetAsync("/api/system/repair");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    /// <summary>Starts a run and leases its first workflow task.</summary>
    private static async Task<(string RunId, string TaskId)> LeasedAsync(WorkflowHarness harness)
    {
        var runId = (string)(await harness.StartAsync())["run_id"]!;
        var task = await harness.PollAsync();
        Assert.Equal(runId, (string?)task["run_id"]);
        return (runId, (string)task["task_id"]!);
    }

    /// <summary>A running run whose only task was lost: nothing durable would ever resume it.</summary>
    private async Task<string> MissingTaskRunAsync(WorkflowHarness harness)
    {
        var runId = (string)(await harness.StartAsync())["run_id"]!;
        await database.ExecuteAsync($"UPDATE workflow_tasks SET status = 'cancelled', closed_at = now() WHERE run_id = '{runId}'");
        return runId;
    }

    /// <summary>A run waiting on a scheduled activity whose task was lost.</summary>
    private async Task<string> PendingActivityWithoutTaskAsync(WorkflowHarness harness)
    {
        var (runId, _) = await LeasedAsync(harness);
        var task = await database.ScalarAsync<string>($"SELECT id FROM workflow_tasks WHERE run_id = '{runId}' AND status = 'leased'");
        await harness.CompleteAsync(new JsonObject
        {
            ["task_id"] = task,
            ["workflow_task_attempt"] = 1,
        }, new JsonObject
        {
            ["type"] = "schedule_activity",
            ["activity_type"] = "charge_card",
            ["arguments"] = new JsonObject { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwwCChBvcmRlci00MgA=" },
            ["queue"] = harness.Queue,
        });
        await database.ExecuteAsync($"UPDATE workflow_tasks SET status = 'cancelled', closed_at = now() WHERE run_id = '{runId}' AND task_type = 'activity'");
        return runId;
    }

    private Task ExpireAsync(string taskId) =>
        database.ExecuteAsync($"UPDATE workflow_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = '{taskId}'");

    private Task<string?> TaskRowAsync(string taskId) => database.ScalarAsync<string>(
        $"SELECT t::text FROM workflow_tasks t WHERE id = '{taskId}'");

    private async Task ProjectAsync()
    {
        var dataSource = server.Services.GetRequiredService<NpgsqlDataSource>();
        await using var tx = await EngineTransaction.BeginAsync(dataSource, server.Services.GetRequiredService<WakeBus>(), CancellationToken.None);
        await TaskRepairStore.ProjectAsync(tx, TaskRepairPolicy.Default.RedispatchAfterSeconds, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>The operator metrics and, from the same rows, the expected count and age (rollout contract §14.6 item 85).</summary>
    private async Task<(int Count, long AgeMs, JsonObject Metrics)> RepairNeededAsync()
    {
        using var admin = server.ControlClient();
        using var response = await admin.GetAsync("/api/system/operator-metrics");
        var metrics = (await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["operator_metrics"]!.AsObject();
        var count = (int)await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE namespace = 'default' AND liveness_state = 'repair_needed'");
        var age = await database.ScalarAsync<double?>(
            "SELECT (extract(epoch FROM now() - min(COALESCE(updated_at, started_at))) * 1000)::float8 FROM workflow_runs WHERE namespace = 'default' AND liveness_state = 'repair_needed'");
        return (count, (long)(age ?? 0), metrics);
    }
}
