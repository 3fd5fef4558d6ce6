using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>Build-id cohorts, drain, resume and promote (rollout contract §6.3–6.6, §14.1) over HTTP.</summary>
public sealed class TaskQueueRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string SecondsZ = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_001_null_empty_and_whitespace_build_ids_count_in_the_null_cohort()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv1-a", "inv1", null);
        await RegisterAsync(worker, "inv1-b", "inv1", "\"\"");
        await RegisterAsync(worker, "inv1-c", "inv1", "\"   \"");

        var cohorts = await ListAsync("inv1");

        var cohort = Assert.Single(cohorts);
        Assert.Null(cohort["build_id"]);
        Assert.Equal(3, (int)cohort["active_worker_count"]!);
        Assert.Equal(3, (int)cohort["total_worker_count"]!);
    }

    [Fact]
    public async Task Invariant_002_draining_the_unversioned_cohort_stores_the_empty_string_and_answers_null()
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);

        var body = await PostAsync(control, "inv2", "drain", """{"build_id":"  "}""", HttpStatusCode.OK);

        Assert.True(body.ContainsKey("build_id"));
        Assert.Null(body["build_id"]);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_build_id_rollouts WHERE task_queue = 'inv2' AND build_id = ''"));
    }

    [Fact]
    public async Task Invariant_003_a_drain_answers_draining_with_a_second_precision_drained_at()
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);

        var body = await PostAsync(control, "inv3", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);

        Assert.Equal("draining", (string?)body["drain_intent"]);
        Assert.Matches(SecondsZ, (string?)body["drained_at"]);
        Assert.Equal("b1", (string?)body["build_id"]);
        Assert.False((bool)body["new_start_selected"]!);
    }

    [Fact]
    public async Task Invariant_004_draining_an_already_draining_cohort_keeps_drained_at()
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        var first = await PostAsync(control, "inv4", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);
        await database.ExecuteAsync("UPDATE workflow_worker_build_id_rollouts SET drained_at = drained_at - interval '1 hour' WHERE task_queue = 'inv4'");
        var stored = await database.ScalarAsync<string>("SELECT drained_at::text FROM workflow_worker_build_id_rollouts WHERE task_queue = 'inv4'");

        var second = await PostAsync(control, "inv4", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);

        Assert.Equal(stored, await database.ScalarAsync<string>("SELECT drained_at::text FROM workflow_worker_build_id_rollouts WHERE task_queue = 'inv4'"));
        Assert.NotEqual((string?)first["drained_at"], (string?)second["drained_at"]);
        Assert.Equal("draining", (string?)second["drain_intent"]);
    }

    [Fact]
    public async Task Invariant_005_resume_answers_active_with_null_drained_at_even_for_a_never_drained_build()
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);

        var never = await PostAsync(control, "inv5", "resume", """{"build_id":"never"}""", HttpStatusCode.OK);
        await PostAsync(control, "inv5", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);
        var resumed = await PostAsync(control, "inv5", "resume", """{"build_id":"b1"}""", HttpStatusCode.OK);

        foreach (var body in new[] { never, resumed })
        {
            Assert.Equal("active", (string?)body["drain_intent"]);
            Assert.True(body.ContainsKey("drained_at"));
            Assert.Null(body["drained_at"]);
        }

        Assert.All(await ListAsync("inv5"), c => Assert.NotEqual("draining", (string?)c["rollout_status"]));
    }

    [Theory]
    [InlineData("drain", "{}")]
    [InlineData("resume", "{}")]
    [InlineData("promote", "{}")]
    [InlineData("drain", """{"buildId":"b1"}""")]
    [InlineData("drain", """{"build_id":5}""")]
    public async Task Invariant_006_a_body_without_a_valid_build_id_key_is_422_and_writes_nothing(string operation, string body)
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv6-w", "inv6", "\"b1\"");
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        var before = await SnapshotAsync("inv6");

        var error = await PostAsync(control, "inv6", operation, body, (HttpStatusCode)422);

        Assert.Equal("validation_failed", (string?)error["reason"]);
        Assert.True(error["errors"]!.AsObject().ContainsKey("build_id"));
        Assert.Equal(before, await SnapshotAsync("inv6"));
    }

    [Fact]
    public async Task Invariant_007_and_008_registering_or_heartbeating_into_a_drained_cohort_stores_draining()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv8-old", "inv8", "\"b1\"");
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        await PostAsync(control, "inv8", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET status = 'active' WHERE worker_id = 'inv8-old'");

        var registered = await RegisterAsync(worker, "inv8-new", "inv8", "\"b1\"");
        using var heartbeat = await worker.PostAsync("/api/worker/heartbeat", ServerFactory.Json("""{"worker_id":"inv8-old"}"""));

        Assert.Equal("draining", (string?)registered["status"]);
        Assert.Equal("draining", (string?)(await HttpAssert.JsonAsync(heartbeat, HttpStatusCode.OK))["status"]);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_registrations WHERE task_queue = 'inv8' AND status <> 'draining'"));
    }

    [Fact]
    public async Task Invariant_009_and_010_drain_and_resume_stamp_the_cohort_immediately_and_only_the_cohort()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv9-a", "inv9", "\"b1\"");
        await RegisterAsync(worker, "inv9-b", "inv9", "\" b1 \"");
        await RegisterAsync(worker, "inv9-other", "inv9", "\"b2\"");
        await RegisterAsync(worker, "inv9-elsewhere", "inv9-x", "\"b1\"");
        using var control = server.ControlClient(ServerFactory.OperatorToken);

        await PostAsync(control, "inv9", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);
        var afterDrain = await StatusesAsync("inv9%");
        await PostAsync(control, "inv9", "resume", """{"build_id":" b1"}""", HttpStatusCode.OK);
        var afterResume = await StatusesAsync("inv9%");

        Assert.Equal("inv9-a:draining,inv9-b:draining,inv9-elsewhere:active,inv9-other:active", afterDrain);
        Assert.Equal("inv9-a:active,inv9-b:active,inv9-elsewhere:active,inv9-other:active", afterResume);
    }

    [Fact]
    public async Task Invariant_011_a_drain_in_one_namespace_is_invisible_in_another()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('inv11-a'), ('inv11-b') ON CONFLICT DO NOTHING");
        using var workerB = WorkerClient(@namespace: "inv11-b");
        await RegisterAsync(workerB, "inv11-w", "shared", "\"b1\"");
        using var controlA = server.ControlClient(ServerFactory.OperatorToken, "inv11-a");
        using var controlB = server.ControlClient(ServerFactory.OperatorToken, "inv11-b");

        await PostAsync(controlA, "shared", "drain", """{"build_id":"b1"}""", HttpStatusCode.OK);

        using var response = await controlB.GetAsync("/api/task-queues/shared/build-ids");
        var cohort = Assert.Single((await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["build_ids"]!.AsArray())!;
        Assert.Equal("active", (string?)cohort["rollout_status"]);
        Assert.Equal("active", (string?)cohort["drain_intent"]);
        Assert.Equal("active", await database.ScalarAsync<string>("SELECT status FROM workflow_worker_registrations WHERE namespace = 'inv11-b' AND worker_id = 'inv11-w'"));
    }

    [Fact]
    public async Task Invariant_012_a_drained_cohort_without_registrations_stays_listed_with_zero_counts()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv12-w", "inv12", "\"gone\"");
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        await PostAsync(control, "inv12", "drain", """{"build_id":"gone"}""", HttpStatusCode.OK);
        using var delete = await server.ControlClient().DeleteAsync("/api/workers/inv12-w");
        await HttpAssert.JsonAsync(delete, HttpStatusCode.OK);

        var cohort = Assert.Single(await ListAsync("inv12"));

        Assert.Equal("gone", (string?)cohort["build_id"]);
        Assert.Equal("draining", (string?)cohort["rollout_status"]);
        foreach (var key in new[] { "active_worker_count", "draining_worker_count", "stale_worker_count", "total_worker_count" })
        {
            Assert.Equal(0, (int)cohort[key]!);
        }

        Assert.Null(cohort["last_heartbeat_at"]);
        Assert.Null(cohort["first_seen_at"]);
    }

    [Fact]
    public async Task Invariant_013_014_and_015_counts_partition_the_cohort_and_staleness_wins_over_status()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv14-active", "inv14", "\"b1\"");
        await RegisterAsync(worker, "inv14-draining", "inv14", "\"b1\"");
        await RegisterAsync(worker, "inv14-stale-draining", "inv14", "\"b1\"");
        await RegisterAsync(worker, "inv14-null-heartbeat", "inv14", "\"b1\"");
        await database.ExecuteAsync(
            """
            UPDATE workflow_worker_registrations SET status = 'draining' WHERE worker_id IN ('inv14-draining', 'inv14-stale-draining');
            UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '31 seconds' WHERE worker_id = 'inv14-stale-draining';
            UPDATE workflow_worker_registrations SET last_heartbeat_at = NULL WHERE worker_id = 'inv14-null-heartbeat';
            """);

        var cohort = Assert.Single(await ListAsync("inv14"));

        Assert.Equal(2, (int)cohort["active_worker_count"]!);
        Assert.Equal(1, (int)cohort["draining_worker_count"]!);
        Assert.Equal(1, (int)cohort["stale_worker_count"]!);
        Assert.Equal(
            (int)cohort["total_worker_count"]!,
            (int)cohort["active_worker_count"]! + (int)cohort["draining_worker_count"]! + (int)cohort["stale_worker_count"]!);
        Assert.Equal("active_with_draining", (string?)cohort["rollout_status"]);
    }

    [Fact]
    public async Task Invariant_016_and_017_cohorts_are_ordered_by_rank_then_latest_heartbeat_and_report_the_stale_window()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "inv16-unversioned", "inv16", null);
        await RegisterAsync(worker, "inv16-older", "inv16", "\"older\"");
        await RegisterAsync(worker, "inv16-newer", "inv16", "\"newer\"");
        await RegisterAsync(worker, "inv16-stale", "inv16", "\"stale\"");
        await RegisterAsync(worker, "inv16-drained", "inv16", "\"drained\"");
        await database.ExecuteAsync(
            """
            UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '20 seconds' WHERE worker_id = 'inv16-older';
            UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '5 minutes' WHERE worker_id = 'inv16-stale';
            """);
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        await PostAsync(control, "inv16", "drain", """{"build_id":"drained"}""", HttpStatusCode.OK);

        using var response = await control.GetAsync("/api/task-queues/inv16/build-ids");
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.Equal(30, (int)body["stale_after_seconds"]!);
        Assert.Equal(
            ["newer", "older", null, "drained", "stale"],
            body["build_ids"]!.AsArray().Select(c => (string?)c!["build_id"]));
        Assert.Equal(
            ["active", "active", "active", "draining", "stale_only"],
            body["build_ids"]!.AsArray().Select(c => (string?)c!["rollout_status"]));
    }

    [Fact]
    public async Task Invariant_018_draining_worker_poll_returns_worker_draining_and_claims_nothing()
    {
        var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        await PostAsync(control, harness.Queue, "drain", """{"build_id":null}""", HttpStatusCode.OK);
        var before = await TasksAsync(harness.Queue);

        var error = await harness.WorkerPostAsync(
            "/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 1 },
            HttpStatusCode.Conflict);

        Assert.Equal("worker_draining", (string?)error["reason"]);
        Assert.True(error.ContainsKey("task"));
        Assert.Null(error["task"]);
        Assert.Equal(before, await TasksAsync(harness.Queue));
        Assert.Contains("\"status\":\"ready\"", before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invariant_019_a_task_leased_before_the_drain_can_still_be_completed()
    {
        var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();
        var task = await harness.PollAsync();
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        await PostAsync(control, harness.Queue, "drain", """{"build_id":null}""", HttpStatusCode.OK);

        await harness.CompleteAsync(task, new JsonObject { ["type"] = "complete_workflow", ["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwoOd2FpdGluZw==" } });

        Assert.Equal("completed", await database.ScalarAsync<string>(
            $"SELECT status FROM workflow_tasks WHERE task_queue = '{harness.Queue}'"));
    }

    [Fact]
    public async Task fixture_parity_build_ids_drain_resume_and_promote()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('orders-prod') ON CONFLICT DO NOTHING");
        using var worker = WorkerClient(@namespace: "orders-prod");
        using var control = server.ControlClient(ServerFactory.OperatorToken, "orders-prod");
        await RegisterAsync(worker, "fx-new-1", "orders-critical", "\"build-2026.04.22-a1\"");
        await RegisterAsync(worker, "fx-new-2", "orders-critical", "\"build-2026.04.22-a1\"");
        await RegisterAsync(worker, "fx-old", "orders-critical", "\"build-2026.04.21-z9\"");
        await RegisterAsync(worker, "fx-unversioned", "orders-critical", null);
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '1 day' WHERE worker_id = 'fx-unversioned'");

        var drainFixture = SharedFixtures.ControlPlane("task-queue-build-id-drain-parity");
        var drained = await SendAsync(control, drainFixture);
        AssertSemantic(drained, drainFixture.Semantic, "drained_at");
        Assert.Matches(SecondsZ, (string?)drained["drained_at"]);

        var listFixture = SharedFixtures.ControlPlane("task-queue-build-ids-parity");
        var listed = await SendAsync(control, listFixture);
        Assert.Equal((string?)listFixture.Semantic["namespace"], (string?)listed["namespace"]);
        Assert.Equal((string?)listFixture.Semantic["task_queue"], (string?)listed["task_queue"]);
        var cohorts = listed["build_ids"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.True(JsonNode.DeepEquals(listFixture.Semantic["build_ids"], new JsonArray([.. cohorts.Select(c => c["build_id"]?.DeepClone())])));
        foreach (var (key, status) in listFixture.Semantic["rollout_statuses"]!.AsObject())
        {
            var cohort = cohorts.Single(c => ((string?)c["build_id"] ?? "unversioned") == key);
            Assert.Equal((string?)status, (string?)cohort["rollout_status"]);
        }

        var expectedKeys = listFixture.Json["response_body"]!["build_ids"]![0]!.AsObject().Select(p => p.Key)
            .Concat(["drain_intent", "drained_at", "promoted_at", "rolled_back_at", "new_start_selected", "workflow_definition_fingerprint_count", "workflow_definition_fingerprint_conflicts"]);
        Assert.All(cohorts, c => Assert.All(expectedKeys, k => Assert.True(c.ContainsKey(k), k)));
        Assert.All(cohorts.Where(c => c["last_heartbeat_at"] is not null), c => Assert.Matches(SecondsZ, (string?)c["last_heartbeat_at"]));

        var resumeFixture = SharedFixtures.ControlPlane("task-queue-build-id-resume-parity");
        AssertSemantic(await SendAsync(control, resumeFixture), resumeFixture.Semantic);

        var promoteFixture = SharedFixtures.ControlPlane("task-queue-build-id-promote-parity");
        var promoted = await SendAsync(control, promoteFixture);
        AssertSemantic(promoted, promoteFixture.Semantic, "promoted_at");
        Assert.Matches(SecondsZ, (string?)promoted["promoted_at"]);
    }

    [Fact]
    public async Task promote_selects_the_latest_build_and_a_drain_removes_the_selection()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "pr-a", "promo", "\"a\"");
        await RegisterAsync(worker, "pr-b", "promo", "\"b\"");
        using var control = server.ControlClient(ServerFactory.OperatorToken);

        await PostAsync(control, "promo", "promote", """{"build_id":"a"}""", HttpStatusCode.OK);
        await PostAsync(control, "promo", "promote", """{"build_id":"b"}""", HttpStatusCode.OK);
        var selected = await database.ScalarAsync<string>("SELECT string_agg(build_id, ',') FROM workflow_worker_build_id_rollouts WHERE task_queue = 'promo' AND new_start_selected");
        await PostAsync(control, "promo", "drain", """{"build_id":"b"}""", HttpStatusCode.OK);

        Assert.Equal("b", selected);
        Assert.All(await ListAsync("promo"), c => Assert.False((bool)c["new_start_selected"]!));
        var refused = await PostAsync(control, "promo", "promote", """{"build_id":"b"}""", HttpStatusCode.Conflict);
        Assert.Equal("promotion_blocked", (string?)refused["reason"]);
        Assert.Equal("fleet_is_draining", (string?)refused["blockages"]![0]!["reason"]);
    }

    [Fact]
    public async Task promote_refuses_with_ordered_blockages_and_writes_nothing()
    {
        using var worker = WorkerClient();
        await RegisterAsync(worker, "bl-stale", "blocked", "\"stale\"");
        await RegisterAsync(worker, "bl-fp-1", "blocked", "\"split\"", """{"order":"fp-1"}""");
        await RegisterAsync(worker, "bl-fp-2", "blocked", "\"split\"", """{"order":"fp-2"}""");
        await RegisterAsync(worker, "bl-no-fleet", "blocked", "\"quiet\"");
        await database.ExecuteAsync(
            """
            UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '5 minutes' WHERE worker_id = 'bl-stale';
            DELETE FROM workflow_worker_compatibility_heartbeats WHERE worker_id IN ('bl-stale', 'bl-no-fleet');
            """);
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        var before = await SnapshotAsync("blocked");

        var stale = await PostAsync(control, "blocked", "promote", """{"build_id":"stale"}""", HttpStatusCode.Conflict);
        var split = await PostAsync(control, "blocked", "promote", """{"build_id":"split"}""", HttpStatusCode.Conflict);
        var quiet = await PostAsync(control, "blocked", "promote", """{"build_id":"quiet"}""", HttpStatusCode.Conflict);
        var unknown = await PostAsync(control, "blocked", "promote", """{"build_id":"nobody"}""", HttpStatusCode.Conflict);

        Assert.Equal(["no_compatible_workers", "missing_worker_heartbeat"], Reasons(stale));
        Assert.Equal(["fingerprint_mismatch"], Reasons(split));
        Assert.Equal(["missing_worker_heartbeat"], Reasons(quiet));
        Assert.Equal(["unknown_deployment", "no_compatible_workers", "missing_worker_heartbeat"], Reasons(unknown));
        Assert.Equal(before, await SnapshotAsync("blocked"));
        var conflicts = (await ListAsync("blocked")).Single(c => (string?)c["build_id"] == "split")["workflow_definition_fingerprint_conflicts"]!;
        Assert.Equal("order", (string?)conflicts[0]!["workflow_type"]);
        Assert.Equal(2, (int)conflicts[0]!["fingerprint_count"]!);
    }

    [Fact]
    public async Task worker_tokens_are_forbidden_on_the_rollout_routes()
    {
        using var control = server.ControlClient(ServerFactory.WorkerToken);

        using var list = await control.GetAsync("/api/task-queues/q/build-ids");
        using var drain = await control.PostAsync("/api/task-queues/q/build-ids/drain", ServerFactory.Json("""{"build_id":"b"}"""));

        await HttpAssert.ErrorAsync(list, HttpStatusCode.Forbidden, "forbidden");
        await HttpAssert.ErrorAsync(drain, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_build_id_rollouts WHERE task_queue = 'q'"));
    }

    private static IEnumerable<string> Reasons(JsonObject error) => error["blockages"]!.AsArray().Select(b => (string)b!["reason"]!);

    private static void AssertSemantic(JsonObject actual, JsonObject semantic, params string[] timestamps)
    {
        foreach (var (key, value) in semantic)
        {
            Assert.True(actual.ContainsKey(key), key);
            if (!timestamps.Contains(key))
            {
                Assert.True(JsonNode.DeepEquals(value, actual[key]), $"{key}: expected {value?.ToJsonString()}, got {actual[key]?.ToJsonString()}");
            }
        }
    }

    private static async Task<JsonObject> SendAsync(HttpClient client, ControlPlaneFixture fixture)
    {
        using var request = fixture.ToRequest();
        using var response = await client.SendAsync(request);
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string queue, string operation, string body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync($"/api/task-queues/{queue}/build-ids/{operation}", ServerFactory.Json(body));
        Assert.Equal(expected, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private async Task<List<JsonObject>> ListAsync(string queue)
    {
        using var control = server.ControlClient(ServerFactory.OperatorToken);
        using var response = await control.GetAsync($"/api/task-queues/{queue}/build-ids");
        return [.. (await HttpAssert.JsonAsync(response, HttpStatusCode.OK))["build_ids"]!.AsArray().Select(c => c!.AsObject())];
    }

    private async Task<string> TasksAsync(string queue) =>
        await database.ScalarAsync<string>(
            $"SELECT json_agg(t ORDER BY id)::text FROM workflow_tasks t WHERE task_queue = '{queue}'") ?? string.Empty;

    private Task<string?> StatusesAsync(string queuePattern) =>
        database.ScalarAsync<string>(
            $"SELECT string_agg(worker_id || ':' || status, ',' ORDER BY worker_id) FROM workflow_worker_registrations WHERE task_queue LIKE '{queuePattern}'");

    private async Task<string> SnapshotAsync(string queue) =>
        await database.ScalarAsync<string>(
            $"""
            SELECT COALESCE((SELECT json_agg(b ORDER BY build_id)::text FROM workflow_worker_build_id_rollouts b WHERE task_queue = '{queue}'), '')
                || '|' || (SELECT json_agg(json_build_object('w', worker_id, 's', status, 'u', updated_at) ORDER BY worker_id)::text
                             FROM workflow_worker_registrations WHERE task_queue = '{queue}')
            """) ?? string.Empty;

    private static async Task<JsonObject> RegisterAsync(HttpClient client, string workerId, string queue, string? buildIdJson, string fingerprints = "{}")
    {
        var buildId = buildIdJson is null ? string.Empty : $",\"build_id\":{buildIdJson}";
        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(
            $$"""{"worker_id":"{{workerId}}","task_queue":"{{queue}}","runtime":"python","sdk_version":"sdk/1"{{buildId}},"workflow_definition_fingerprints":{{fingerprints}}}"""));
        return await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
    }

    private HttpClient WorkerClient(string @namespace = "default")
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        client.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.1");
        client.DefaultRequestHeaders.Add(HeaderNames.Namespace, @namespace);
        return client;
    }
}
