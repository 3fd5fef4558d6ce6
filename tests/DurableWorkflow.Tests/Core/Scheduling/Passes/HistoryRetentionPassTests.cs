using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Core.Scheduling.Passes;
using DurableWorkflow.TestWorker;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Scheduling.Passes;

/// <summary>
/// History retention (rollout contract §9.10, invariants 74–75; control-plane §10.5) against real closed runs whose
/// <c>closed_at</c> was moved into the past with SQL.
/// </summary>
public sealed class HistoryRetentionPassTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_074_retention_prunes_only_expired_closed_unarchived_runs_of_the_namespace()
    {
        using var admin = server.ControlClient();
        using (var created = await admin.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"retention-other","retention_days":30}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await database.ExecuteAsync("UPDATE workflow_namespaces SET retention_days = 10 WHERE name = 'default'");
        using var harness = await WorkflowHarness.CreateAsync(server);
        var expired = await ClosedRunAsync(harness, daysAgo: 11);
        var cancelled = await ClosedRunAsync(harness, daysAgo: 12);
        await database.ExecuteAsync($"UPDATE workflow_runs SET status = 'cancelled' WHERE id = '{cancelled}'");
        using var openHarness = await WorkflowHarness.CreateAsync(server);
        var open = (string)(await openHarness.StartAsync())["run_id"]!;
        var noClosedAt = await ClosedRunAsync(harness, daysAgo: 11);
        await database.ExecuteAsync($"UPDATE workflow_runs SET closed_at = NULL WHERE id = '{noClosedAt}'");
        var archived = await ClosedRunAsync(harness, daysAgo: 11);
        await database.ExecuteAsync($"UPDATE workflow_runs SET archived_at = now() WHERE id = '{archived}'");
        var recent = await ClosedRunAsync(harness, daysAgo: 9);
        var otherNamespace = await ClosedRunAsync(harness, daysAgo: 11);
        await database.ExecuteAsync($"UPDATE workflow_runs SET namespace = 'retention-other' WHERE id = '{otherNamespace}'");
        var kept = new[] { open, noClosedAt, archived, recent, otherNamespace };
        var before = await HistoryCountsAsync(kept);

        using var statusResponse = await admin.GetAsync("/api/system/retention");
        var status = await HttpAssert.JsonAsync(statusResponse, HttpStatusCode.OK);
        foreach (var key in SharedFixtures.ControlPlane("system-retention-status-parity").Json["response_body"]!.AsObject().Select(p => p.Key))
        {
            Assert.True(status.ContainsKey(key), key);
        }

        Assert.Equal(10, (int)status["retention_days"]!);
        Assert.Equal("default", (string?)status["namespace"]);
        var listed = status["expired_run_ids"]!.AsArray().Select(i => (string)i!).ToList();
        Assert.Contains(expired, listed);
        Assert.Contains(cancelled, listed);
        Assert.Equal(cancelled, listed[listed.IndexOf(cancelled)]);
        Assert.True(listed.IndexOf(cancelled) < listed.IndexOf(expired), "oldest closed_at first");
        Assert.DoesNotContain(listed, kept.Contains);

        var body = new JsonObject { ["run_ids"] = new JsonArray([.. new[] { expired, cancelled }.Concat(kept).Select(i => (JsonNode?)i)]) };
        using var passResponse = await admin.PostAsync("/api/system/retention/pass", ServerFactory.Json(body.ToJsonString()));
        var pass = await HttpAssert.JsonAsync(passResponse, HttpStatusCode.OK);
        foreach (var key in SharedFixtures.ControlPlane("system-retention-pass-parity").Json["response_body"]!.AsObject().Select(p => p.Key))
        {
            Assert.True(pass.ContainsKey(key), key);
        }

        Assert.Equal(7, (int)pass["processed"]!);
        Assert.Equal(2, (int)pass["pruned"]!);
        Assert.Equal(5, (int)pass["skipped"]!);
        var reasons = pass["results"]!.AsArray().ToDictionary(r => (string)r!["run_id"]!, r => (string?)r!["reason"] ?? (string)r!["outcome"]!);
        Assert.Equal("pruned", reasons[expired]);
        Assert.Equal("pruned", reasons[cancelled]);
        Assert.Equal("run_not_terminal", reasons[open]);
        Assert.Equal("run_not_terminal", reasons[noClosedAt]);
        Assert.Equal("run_archived", reasons[archived]);
        Assert.Equal("run_not_expired", reasons[recent]);
        Assert.Equal("run_not_found", reasons[otherNamespace]);
        var prunedItem = pass["results"]!.AsArray().First(r => (string?)r!["run_id"] == expired)!;
        Assert.True((int)prunedItem["history_events_deleted"]! > 0);
        Assert.True((bool)prunedItem["deleted"]!);

        foreach (var runId in new[] { expired, cancelled })
        {
            Assert.Equal("0|0|true", await database.ScalarAsync<string>(
                $"""
                SELECT (SELECT count(*) FROM workflow_history_events WHERE run_id = r.id) || '|' ||
                       (SELECT count(*) FROM workflow_tasks WHERE run_id = r.id) || '|' || (r.pruned_at IS NOT NULL)
                  FROM workflow_runs r WHERE r.id = '{runId}'
                """));
        }

        Assert.Equal(before, await HistoryCountsAsync(kept));

        // The tick pass covers every namespace, each with its own retention; the other namespace keeps 30 days.
        var late = await ClosedRunAsync(harness, daysAgo: 20);
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        var fence = (await server.Services.GetRequiredService<SchedulerLease>().TryAcquireAsync(CancellationToken.None))!;
        var summary = await server.Services.GetRequiredService<HistoryRetentionPass>().RunAsync(fence, CancellationToken.None);
        Assert.StartsWith("pruned ", summary, StringComparison.Ordinal);
        Assert.True(await database.ScalarAsync<bool>($"SELECT pruned_at IS NOT NULL FROM workflow_runs WHERE id = '{late}'"));
        Assert.Equal(before, await HistoryCountsAsync(kept));
    }

    [Fact]
    public async Task the_tick_pass_forgets_bridge_keys_older_than_their_namespace_keeps_history()
    {
        using var admin = server.ControlClient();
        using (var created = await admin.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"bridge-keep","retention_days":30}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await database.ExecuteAsync(
            """
            UPDATE workflow_namespaces SET retention_days = 10 WHERE name = 'default';
            INSERT INTO workflow_bridge_events (namespace, adapter, idempotency_key, action, http_status, outcome, created_at)
            VALUES ('default', 'expiry', 'old', 'start', 202, '{}', now() - interval '11 days'),
                   ('default', 'expiry', 'recent', 'start', 202, '{}', now() - interval '9 days'),
                   ('bridge-keep', 'expiry', 'old', 'start', 202, '{}', now() - interval '20 days');
            """);
        // A node of its own: the tick pass runs at most every 10 s per node, and another test may have just run it here.
        using var node = ServerFactory.WithRoleTokens(database.ConnectionString);
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        var fence = (await node.Services.GetRequiredService<SchedulerLease>().TryAcquireAsync(CancellationToken.None))!;

        var summary = await node.Services.GetRequiredService<HistoryRetentionPass>().RunAsync(fence, CancellationToken.None);

        Assert.EndsWith("bridge keys expired 1", summary, StringComparison.Ordinal);
        Assert.Equal(
            "bridge-keep/old,default/recent",
            await database.ScalarAsync<string>("SELECT string_agg(namespace || '/' || idempotency_key, ',' ORDER BY namespace, idempotency_key) FROM workflow_bridge_events WHERE adapter = 'expiry'"));
    }

    [Fact]
    public async Task Invariant_075_a_worker_heartbeat_prunes_at_most_one_run_at_most_once_per_minute_per_namespace()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var first = await ClosedRunAsync(harness, daysAgo: 400);
        var second = await ClosedRunAsync(harness, daysAgo: 399);
        var third = await ClosedRunAsync(harness, daysAgo: 398);
        var ours = $"'{first}', '{second}', '{third}'";
        await database.ExecuteAsync($"DELETE FROM workflow_coordination_leases WHERE name = '{HistoryRetentionPass.InlineKey("default")}'");
        var heartbeat = new JsonObject { ["worker_id"] = harness.WorkerId };

        await harness.WorkerPostAsync("/api/worker/heartbeat", heartbeat, HttpStatusCode.OK);
        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_runs WHERE id IN ({ours}) AND pruned_at IS NOT NULL"));
        Assert.True(await database.ScalarAsync<bool>($"SELECT pruned_at IS NOT NULL FROM workflow_runs WHERE id = '{first}'"));

        await harness.WorkerPostAsync("/api/worker/heartbeat", heartbeat, HttpStatusCode.OK);
        await harness.WorkerPostAsync("/api/worker/heartbeat", heartbeat, HttpStatusCode.OK);
        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_runs WHERE id IN ({ours}) AND pruned_at IS NOT NULL"));

        // A minute later (the window moved with SQL), the next heartbeat prunes exactly one more.
        await database.ExecuteAsync($"UPDATE workflow_coordination_leases SET expires_at = now() - interval '1 second' WHERE name = '{HistoryRetentionPass.InlineKey("default")}'");
        await harness.WorkerPostAsync("/api/worker/heartbeat", heartbeat, HttpStatusCode.OK);
        Assert.Equal(2L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_runs WHERE id IN ({ours}) AND pruned_at IS NOT NULL"));
        Assert.False(await database.ScalarAsync<bool>($"SELECT pruned_at IS NOT NULL FROM workflow_runs WHERE id = '{third}'"));
    }

    [Fact]
    public async Task pass_route_validates_its_body_and_is_admin_only()
    {
        using var admin = server.ControlClient();
        using var bad = await admin.PostAsync("/api/system/retention/pass", ServerFactory.Json("""{"run_ids": [""], "limit": 0}"""));
        Assert.Equal("validation_failed", (string?)(await HttpAssert.JsonAsync(bad, HttpStatusCode.UnprocessableEntity))["reason"]);

        using var operatorClient = server.ControlClient(ServerFactory.OperatorToken);
        using var refused = await operatorClient.GetAsync("/api/system/retention");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    /// <summary>A run completed by its worker, then aged: <c>closed_at</c> moved <paramref name="daysAgo"/> days back.</summary>
    private async Task<string> ClosedRunAsync(WorkflowHarness harness, int daysAgo)
    {
        var runId = (string)(await harness.StartAsync())["run_id"]!;
        var task = await harness.PollAsync();
        Assert.Equal(runId, (string?)task["run_id"]);
        await harness.CompleteAsync(task, Commands.CompleteWorkflow(null));
        await database.ExecuteAsync($"UPDATE workflow_runs SET closed_at = now() - make_interval(days => {daysAgo}) WHERE id = '{runId}'");
        return runId;
    }

    private Task<string?> HistoryCountsAsync(IEnumerable<string> runIds) => database.ScalarAsync<string>(
        $"""
        SELECT string_agg(r.id || ':' || (SELECT count(*) FROM workflow_history_events h WHERE h.run_id = r.id)
                              || ':' || (SELECT count(*) FROM workflow_tasks t WHERE t.run_id = r.id), ',' ORDER BY r.id)
          FROM workflow_runs r WHERE r.id IN ('{string.Join("','", runIds)}') AND r.pruned_at IS NULL
        """);
}
