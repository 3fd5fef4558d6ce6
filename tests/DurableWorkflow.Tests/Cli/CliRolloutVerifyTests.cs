using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Protocol;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// <c>rollout:verify</c> on a live server: every row passes on a healthy node, and each cause that can be produced here
/// fails its own row (and only it) with exit 1.
/// </summary>
public sealed class CliRolloutVerifyTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private static readonly string[] Checks = ["bootstrap", "node-ready", "compatibility-admission", "worker-drain", "routing", "scheduler", "stuck-runs"];

    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task Healthy_node_passes_every_row_with_its_evidence()
    {
        var build = await BuildAsync();

        var result = await CliRun.InProcessAsync(Env, "rollout:verify", "--node", fixture.Server.BaseAddress.AbsoluteUri, "--expect-build", build, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = Rows(result);
        Assert.Equal(Checks, rows.Select(r => r["check"]!.GetValue<string>()));
        Assert.All(rows, r => Assert.Equal("PASS", r["result"]!.GetValue<string>()));
        Assert.Contains($"server_build_id = {build}, expected {build}", Row(rows, "node-ready")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("checks.migrations.status = ok", Row(rows, "bootstrap")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_expected_build_fails_the_node_row_only()
    {
        var result = await CliRun.InProcessAsync(Env, "rollout:verify", "--expect-build", "build-that-is-not-deployed", "--json");

        Assert.Equal(1, result.ExitCode);
        var rows = Rows(result);
        Assert.Equal(["node-ready"], rows.Where(r => !r["passed"]!.GetValue<bool>()).Select(r => r["check"]!.GetValue<string>()));
        Assert.Contains("expected build-that-is-not-deployed", Row(rows, "node-ready")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_not_ready_and_node_unreachable_fail_their_own_rows()
    {
        await using var notReady = new RecordingServer
        {
            Respond = r => r.Path == "/api/ready"
                ? (503, new JsonObject { ["status"] = "not_ready", ["checks"] = new JsonObject { ["migrations"] = new JsonObject { ["status"] = "pending", ["message"] = "0015 pending" } } })
                : (503, new JsonObject { ["message"] = "not ready" }),
        };

        var result = await CliRun.InProcessAsync(Env, "rollout:verify",
            "--node", fixture.Server.BaseAddress.AbsoluteUri, "--node", notReady.BaseAddress.AbsoluteUri, "--node", "http://127.0.0.1:9/", "--json");

        Assert.Equal(1, result.ExitCode);
        var rows = Rows(result);
        var failed = rows.Where(r => !r["passed"]!.GetValue<bool>()).Select(r => $"{r["check"]} {r["node"]}").ToList();
        var stub = notReady.BaseAddress.Authority;
        Assert.Equal(
            [$"bootstrap {stub}", "bootstrap 127.0.0.1:9", $"node-ready {stub}", "node-ready 127.0.0.1:9", $"compatibility-admission {stub}", "compatibility-admission 127.0.0.1:9"],
            failed);
        Assert.Contains("status = pending (0015 pending)", rows.Single(r => r["check"]!.GetValue<string>() == "bootstrap" && r["node"]!.GetValue<string>() == stub)["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("/api/ready 503 (not_ready)", rows.Single(r => r["check"]!.GetValue<string>() == "node-ready" && r["node"]!.GetValue<string>() == stub)["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("unreachable: ", rows.Single(r => r["check"]!.GetValue<string>() == "node-ready" && r["node"]!.GetValue<string>() == "127.0.0.1:9")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drained_cohort_without_a_live_replacement_fails_the_drain_row_until_one_registers()
    {
        using var old = await CliFleet.RegisterAsync(fixture.Server, "verify-drain", "v-old", "Order");
        var drain = await CliRun.InProcessAsync(Env, "task-queue:drain", "verify-drain", "--build-id", "v-old", "--json");
        Assert.True(drain.ExitCode == 0, drain.ToString());

        var stuck = await CliRun.InProcessAsync(Env, "rollout:verify", "--json");
        using var replacement = await CliFleet.RegisterAsync(fixture.Server, "verify-drain", "v-new", "Order");
        var progressing = await CliRun.InProcessAsync(Env, "rollout:verify", "--json");
        (await old.DeregisterAsync(CancellationToken.None)).Expect(HttpStatusCode.OK);
        (await replacement.DeregisterAsync(CancellationToken.None)).Expect(HttpStatusCode.OK);

        Assert.Equal(1, stuck.ExitCode);
        var row = Row(Rows(stuck), "worker-drain");
        Assert.False(row["passed"]!.GetValue<bool>());
        Assert.Contains("verify-drain: v-old draining (active 0, draining 1, stale 0); live takers 0", row["evidence"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.True(progressing.ExitCode == 0, progressing.ToString());
        Assert.Contains("live takers 1", Row(Rows(progressing), "worker-drain")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missed_schedule_fails_the_scheduler_row_in_the_table()
    {
        var create = await CliRun.InProcessAsync(Env, "schedule:create", "--schedule-id", "verify-missed", "-t", "cli.Tick", "--interval", "PT1H", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        // The test server runs no scheduler; moving the next fire into the past is an occurrence nobody fired.
        await fixture.Database.ExecuteAsync("UPDATE workflow_schedules SET next_fire_at = now() - interval '10 minutes' WHERE schedule_id = 'verify-missed'");

        var missed = await CliRun.InProcessAsync(Env, "rollout:verify");
        var delete = await CliRun.InProcessAsync(Env, "schedule:delete", "verify-missed");

        Assert.Equal(1, missed.ExitCode);
        var line = Assert.Single(missed.StdOut.Split('\n'), l => l.Contains("Scheduler caught up", StringComparison.Ordinal));
        Assert.Contains("schedules.missed = 1", line, StringComparison.Ordinal);
        Assert.Contains("FAIL", line, StringComparison.Ordinal);
        Assert.Contains("1 check(s) failed.", missed.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, delete.ExitCode);
    }

    [Fact]
    public async Task A_schedule_overdue_for_a_moment_is_a_tick_in_progress_and_passes_the_scheduler_row()
    {
        var create = await CliRun.InProcessAsync(Env, "schedule:create", "--schedule-id", "verify-momentary", "-t", "cli.Tick", "--interval", "PT1H", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        // Due two seconds ago: what a one-second schedule looks like between its occurrence and the tick firing it.
        await fixture.Database.ExecuteAsync("UPDATE workflow_schedules SET next_fire_at = now() - interval '2 seconds' WHERE schedule_id = 'verify-momentary'");

        var verify = await CliRun.InProcessAsync(Env, "rollout:verify", "--json");
        var delete = await CliRun.InProcessAsync(Env, "schedule:delete", "verify-momentary");

        var row = Row(Rows(verify), "scheduler");
        Assert.True(row["passed"]!.GetValue<bool>(), row.ToJsonString());
        Assert.Contains("schedules.missed = 1", row["evidence"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, delete.ExitCode);
    }

    [Fact]
    public async Task Blocked_backlog_fails_the_routing_row_and_stuck_runs_fail_above_the_baseline_only()
    {
        // A run stamped with a marker no live worker advertises: its ready workflow task is compatibility-blocked.
        await CliFleet.StartAsync(fixture.Server, "Order", "verify-blocked", "verify-blocked-1", buildId: "verify-nobody-builds-this");
        var blocked = await CliRun.InProcessAsync(Env, "rollout:verify", "--json");
        Assert.Equal(0, (await CliRun.InProcessAsync(Env, "workflow:terminate", "verify-blocked-1")).ExitCode);

        var run = await CliFleet.StartAsync(fixture.Server, "Order", "verify-stuck", "verify-stuck-1");
        var runId = run["run_id"]!.GetValue<string>();
        // The projection a repair pass records (the test server runs no scheduler, so no pass would clear it).
        await fixture.Database.ExecuteAsync($"UPDATE workflow_runs SET liveness_state = 'repair_needed' WHERE id = '{runId}'");
        var stuck = await CliRun.InProcessAsync(Env, "rollout:verify", "--json");
        var withinBaseline = await CliRun.InProcessAsync(Env, "rollout:verify", "--baseline-repair-needed", "1", "--json");
        await fixture.Database.ExecuteAsync($"UPDATE workflow_runs SET liveness_state = NULL WHERE id = '{runId}'");
        Assert.Equal(0, (await CliRun.InProcessAsync(Env, "workflow:terminate", "verify-stuck-1")).ExitCode);

        Assert.Equal(1, blocked.ExitCode);
        Assert.Equal(["routing"], Failed(blocked));
        Assert.Contains("compatibility_blocked_runs = 1", Row(Rows(blocked), "routing")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(1, stuck.ExitCode);
        Assert.Equal(["stuck-runs"], Failed(stuck));
        Assert.Contains("runs.repair_needed = 1 (baseline 0)", Row(Rows(stuck), "stuck-runs")["evidence"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.True(withinBaseline.ExitCode == 0, withinBaseline.ToString());
    }

    private static List<string> Failed(CliResult result) =>
        [.. Rows(result).Where(r => !r["passed"]!.GetValue<bool>()).Select(r => r["check"]!.GetValue<string>())];

    private async Task<string> BuildAsync()
    {
        var info = await CliRun.InProcessAsync(Env, "cluster:info", "--json");
        return info.Json()["server_build_id"]!.GetValue<string>();
    }

    private static List<JsonObject> Rows(CliResult result) => [.. result.Json()["rows"]!.AsArray().Select(r => r!.AsObject())];

    private static JsonObject Row(List<JsonObject> rows, string check) => rows.Single(r => r["check"]!.GetValue<string>() == check);
}
