using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>Worker lifecycle (worker protocol §2) and worker management (control plane §7) over HTTP.</summary>
public sealed class WorkerRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string RowSql =
        "SELECT row_to_json(r)::text FROM workflow_worker_registrations r WHERE namespace = 'default' AND worker_id = '{0}'";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task register_without_worker_id_generates_a_ulid_and_records_fleet_and_queue()
    {
        using var client = WorkerClient();

        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(
            """{"task_queue":"fresh-queue","runtime":"python","sdk_version":"durable-workflow-python/2.0.0rc34","process_metrics":{"host":"worker-1","process_id":4242}}"""));

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
        var workerId = (string)body["worker_id"]!;
        Assert.Matches("^[0-9a-hjkmnp-tv-z]{26}$", workerId);
        Assert.True((bool)body["registered"]!);
        Assert.Equal("active", (string?)body["status"]);
        Assert.Equal(10, (int)body["heartbeat_interval_seconds"]!);
        Assert.Equal(30, (int)body["stale_after_seconds"]!);
        Assert.Equal("1.1", (string?)body["protocol_version"]);
        Assert.NotNull(body["server_capabilities"]);
        Assert.Equal("1.1", response.Headers.GetValues(HeaderNames.WorkerProtocolVersion).Single());
        Assert.False(response.Headers.Contains(HeaderNames.ControlPlaneVersion));

        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_worker_registrations WHERE worker_id = '{workerId}' AND last_heartbeat_at IS NOT NULL"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_task_queues WHERE namespace = 'default' AND name = 'fresh-queue'"));
        Assert.Equal(
            "default|fresh-queue|[]|worker-1|4242|t",
            await database.ScalarAsync<string>(
                $"SELECT namespace || '|' || queue || '|' || supported::text || '|' || host || '|' || process_id || '|' || (expires_at > now())::text::char FROM workflow_worker_compatibility_heartbeats WHERE worker_id = '{workerId}'"));
    }

    [Fact]
    public async Task re_registration_replaces_fields_keeps_created_at_and_moves_the_fleet_scope()
    {
        using var client = WorkerClient();
        await RegisterAsync(client, """{"worker_id":"re-reg","task_queue":"q1","runtime":"python","build_id":"v1","supported_workflow_types":["a","b"],"workflow_definition_fingerprints":{"a":"fa","b":"fb"}}""");
        var created = await database.ScalarAsync<DateTime>("SELECT created_at FROM workflow_worker_registrations WHERE worker_id = 're-reg'");

        await RegisterAsync(client, """{"worker_id":"re-reg","task_queue":"q2","runtime":"go","supported_workflow_types":["a"],"workflow_definition_fingerprints":{}}""");

        var row = JsonNode.Parse((await database.ScalarAsync<string>(string.Format(null, RowSql, "re-reg")))!)!;
        Assert.Equal("q2", (string?)row["task_queue"]);
        Assert.Equal("go", (string?)row["runtime"]);
        Assert.Null(row["build_id"]);
        Assert.Equal("""{"a":"fa"}""", row["workflow_definition_fingerprints"]!.ToJsonString());
        Assert.Equal(created, await database.ScalarAsync<DateTime>("SELECT created_at FROM workflow_worker_registrations WHERE worker_id = 're-reg'"));
        Assert.Equal("q2", await database.ScalarAsync<string>("SELECT string_agg(queue, ',') FROM workflow_worker_compatibility_heartbeats WHERE worker_id = 're-reg'"));
    }

    [Fact]
    public async Task changed_fingerprint_of_an_active_worker_is_409_and_changes_nothing()
    {
        using var client = WorkerClient();
        await RegisterAsync(client, """{"worker_id":"fp-worker","task_queue":"fp","runtime":"python","supported_workflow_types":["order.process"],"workflow_definition_fingerprints":{"order.process":"sha256:aaa"}}""");
        var before = await database.ScalarAsync<string>(string.Format(null, RowSql, "fp-worker"));

        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(
            """{"worker_id":"fp-worker","task_queue":"other","runtime":"python","supported_workflow_types":["order.process"],"workflow_definition_fingerprints":{"order.process":"sha256:bbb"}}"""));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.Conflict, "workflow_definition_changed");
        Assert.Equal("order.process", (string?)error["workflow_type"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["remediation"]));
        Assert.Equal("Worker attempted to re-register a changed workflow definition.", (string?)error["error"]);
        Assert.Equal("1.1", (string?)error["protocol_version"]);
        Assert.Equal(before, await database.ScalarAsync<string>(string.Format(null, RowSql, "fp-worker")));
    }

    [Fact]
    public async Task a_draining_worker_may_re_register_a_changed_definition()
    {
        using var client = WorkerClient();
        await RegisterAsync(client, """{"worker_id":"fp-draining","task_queue":"fp-d","runtime":"python","workflow_definition_fingerprints":{"w":"one"}}""");
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET status = 'draining' WHERE worker_id = 'fp-draining'");

        await RegisterAsync(client, """{"worker_id":"fp-draining","task_queue":"fp-d","runtime":"python","workflow_definition_fingerprints":{"w":"two"}}""");

        Assert.Equal("two", await database.ScalarAsync<string>("SELECT workflow_definition_fingerprints->>'w' FROM workflow_worker_registrations WHERE worker_id = 'fp-draining'"));
    }

    [Theory]
    [InlineData("{}", "task_queue")]
    [InlineData("""{"task_queue":"q"}""", "runtime")]
    [InlineData("""{"task_queue":"q","runtime":""}""", "runtime")]
    [InlineData("""{"task_queue":"   ","runtime":"python"}""", "task_queue")]
    [InlineData("""{"task_queue":5,"runtime":"python"}""", "task_queue")]
    [InlineData("""{"task_queue":"q","runtime":"python","worker_id":7}""", "worker_id")]
    [InlineData("""{"task_queue":"q","runtime":"python","sdk_version":"01234567890123456789012345678901234567890123456789012345678901234"}""", "sdk_version")]
    [InlineData("""{"task_queue":"q","runtime":"python","supported_workflow_types":"a"}""", "supported_workflow_types")]
    [InlineData("""{"task_queue":"q","runtime":"python","supported_activity_types":["a",1]}""", "supported_activity_types.1")]
    [InlineData("""{"task_queue":"q","runtime":"python","workflow_definition_fingerprints":{"a":1}}""", "workflow_definition_fingerprints.a")]
    [InlineData("""{"task_queue":"q","runtime":"python","workflow_definition_fingerprints":["x"]}""", "workflow_definition_fingerprints")]
    [InlineData("""{"task_queue":"q","runtime":"python","max_concurrent_workflow_tasks":0}""", "max_concurrent_workflow_tasks")]
    [InlineData("""{"task_queue":"q","runtime":"python","max_concurrent_activity_tasks":"10"}""", "max_concurrent_activity_tasks")]
    [InlineData("""{"task_queue":"q","runtime":"python","capabilities":{"query_tasks":true}}""", "capabilities")]
    [InlineData("""{"task_queue":"q","runtime":"python","task_slots":5}""", "task_slots")]
    public async Task invalid_registrations_are_422_and_write_nothing(string body, string field)
    {
        using var client = WorkerClient();
        var before = await CountsAsync();

        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(body));

        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.True(error["errors"]!.AsObject().ContainsKey(field), error.ToJsonString());
        Assert.Equal(error["errors"]!.ToJsonString(), error["validation_errors"]!.ToJsonString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task any_runtime_and_php_style_empty_maps_are_accepted()
    {
        using var client = WorkerClient();

        var body = await RegisterAsync(client,
            """{"worker_id":"php-ish","task_queue":"q","runtime":"external","workflow_definition_fingerprints":[],"workflow_command_contracts":[],"unknown_field":{"ignored":true}}""");

        Assert.Equal("external", (string?)body["runtime"]);
    }

    [Fact]
    public async Task registering_into_a_drained_cohort_stores_draining()
    {
        using var client = WorkerClient();
        await database.ExecuteAsync(
            """
            INSERT INTO workflow_worker_build_id_rollouts (namespace, task_queue, build_id, drain_intent, drained_at)
            VALUES ('default', 'cohort-q', 'v1', 'draining', now()), ('default', 'cohort-q', '', 'draining', now())
            """);

        var versioned = await RegisterAsync(client, """{"worker_id":"cohort-v1","task_queue":"cohort-q","runtime":"python","build_id":"v1"}""");
        var unversioned = await RegisterAsync(client, """{"worker_id":"cohort-none","task_queue":"cohort-q","runtime":"python","build_id":"  "}""");
        var other = await RegisterAsync(client, """{"worker_id":"cohort-v2","task_queue":"cohort-q","runtime":"python","build_id":"v2"}""");

        Assert.Equal("draining", (string?)versioned["status"]);
        Assert.Equal("draining", (string?)unversioned["status"]);
        Assert.Equal("active", (string?)other["status"]);
        Assert.Equal("draining", await database.ScalarAsync<string>("SELECT status FROM workflow_worker_registrations WHERE worker_id = 'cohort-v1'"));
        Assert.Equal("draining", await database.ScalarAsync<string>("SELECT status FROM workflow_worker_registrations WHERE worker_id = 'cohort-none'"));
    }

    [Fact]
    public async Task heartbeat_refreshes_liveness_and_re_derives_status_from_the_cohort()
    {
        using var client = WorkerClient();
        await RegisterAsync(client, """{"worker_id":"hb-worker","task_queue":"hb-q","runtime":"python","build_id":"v1"}""");
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '1 hour' WHERE worker_id = 'hb-worker'");
        await database.ExecuteAsync("UPDATE workflow_worker_compatibility_heartbeats SET recorded_at = now() - interval '1 hour', expires_at = now() - interval '1 hour' WHERE worker_id = 'hb-worker'");
        await database.ExecuteAsync(
            "INSERT INTO workflow_worker_build_id_rollouts (namespace, task_queue, build_id, drain_intent, drained_at) VALUES ('default', 'hb-q', 'v1', 'draining', now())");

        var drained = await HeartbeatAsync(client, """{"worker_id":"hb-worker","task_slots":{"workflow_available":3,"activity_available":4}}""");
        await database.ExecuteAsync("UPDATE workflow_worker_build_id_rollouts SET drain_intent = 'active', drained_at = NULL WHERE task_queue = 'hb-q'");
        var resumed = await HeartbeatAsync(client, """{"worker_id":"hb-worker"}""");

        Assert.Equal("hb-worker", (string?)drained["worker_id"]);
        Assert.True((bool)drained["acknowledged"]!);
        Assert.Equal(10, (int)drained["heartbeat_interval_seconds"]!);
        Assert.Equal(30, (int)drained["stale_after_seconds"]!);
        Assert.Equal("""{"throttled":true,"processed":0,"pruned":0,"skipped":0,"failed":0}""", drained["retention"]!.ToJsonString());
        Assert.Equal("draining", (string?)drained["status"]);
        Assert.Equal("active", (string?)resumed["status"]);
        Assert.True(await database.ScalarAsync<bool>("SELECT last_heartbeat_at > now() - interval '1 minute' FROM workflow_worker_registrations WHERE worker_id = 'hb-worker'"));
        Assert.Equal(3, await database.ScalarAsync<int>("SELECT (task_slots->>'workflow_available')::int FROM workflow_worker_registrations WHERE worker_id = 'hb-worker'"));
        Assert.True(await database.ScalarAsync<bool>("SELECT expires_at > now() FROM workflow_worker_compatibility_heartbeats WHERE worker_id = 'hb-worker'"));
    }

    [Fact]
    public async Task heartbeat_of_an_unknown_worker_is_404_and_without_worker_id_422()
    {
        using var client = WorkerClient();

        using var unknown = await client.PostAsync("/api/worker/heartbeat", ServerFactory.Json("""{"worker_id":"never-registered"}"""));
        using var invalid = await client.PostAsync("/api/worker/heartbeat", ServerFactory.Json("{}"));

        var error = await HttpAssert.ErrorAsync(unknown, HttpStatusCode.NotFound, "worker_not_registered");
        Assert.Equal("never-registered", (string?)error["worker_id"]);
        Assert.Equal("Worker not registered.", (string?)error["error"]);
        await HttpAssert.ErrorAsync(invalid, (HttpStatusCode)422, "validation_failed");
    }

    [Fact]
    public async Task deregistration_returns_leased_workflow_tasks_to_ready()
    {
        using var client = WorkerClient();
        await RegisterAsync(client, """{"worker_id":"leaving","task_queue":"dereg-q","runtime":"python"}""");
        await database.ExecuteAsync(
            """
            INSERT INTO workflow_instances (id, namespace, workflow_type) VALUES ('wf-dereg', 'default', 'order.process');
            INSERT INTO workflow_runs (id, namespace, workflow_instance_id, run_number, workflow_type, task_queue, status)
            VALUES ('01jrun000000000000000dereg', 'default', 'wf-dereg', 1, 'order.process', 'dereg-q', 'running'),
                   ('01jrun000000000000000derg2', 'default', 'wf-dereg', 2, 'order.process', 'dereg-q', 'running');
            INSERT INTO workflow_tasks (id, namespace, run_id, task_type, status, task_queue, workflow_type, activity_type,
                                        attempt_count, lease_owner, leased_at, lease_expires_at)
            VALUES ('01jtask00000000000000mine1', 'default', '01jrun000000000000000dereg', 'workflow', 'leased', 'dereg-q', 'order.process', NULL, 1, 'leaving', now(), now() + interval '5 minutes'),
                   ('01jtask00000000000000acty1', 'default', '01jrun000000000000000dereg', 'activity', 'leased', 'dereg-q', 'order.process', 'charge', 1, 'leaving', now(), now() + interval '5 minutes'),
                   ('01jtask00000000000000other', 'default', '01jrun000000000000000derg2', 'workflow', 'leased', 'dereg-q', 'order.process', NULL, 1, 'someone-else', now(), now() + interval '5 minutes');
            """);

        using var response = await client.DeleteAsync("/api/worker/registrations/leaving");
        using var again = await client.DeleteAsync("/api/worker/registrations/leaving");

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("leaving", (string?)body["worker_id"]);
        Assert.Equal("deregistered", (string?)body["outcome"]);
        Assert.Equal(1, (int)body["recovered_workflow_task_count"]!);
        Assert.Equal("1.1", (string?)body["protocol_version"]);
        Assert.Equal(
            "ready|null|null|null|1",
            await database.ScalarAsync<string>(
                "SELECT status || '|' || coalesce(lease_owner, 'null') || '|' || coalesce(leased_at::text, 'null') || '|' || coalesce(lease_expires_at::text, 'null') || '|' || repair_count FROM workflow_tasks WHERE id = '01jtask00000000000000mine1'"));
        Assert.Equal("leased", await database.ScalarAsync<string>("SELECT status FROM workflow_tasks WHERE id = '01jtask00000000000000acty1'"));
        Assert.Equal("leased", await database.ScalarAsync<string>("SELECT status FROM workflow_tasks WHERE id = '01jtask00000000000000other'"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_registrations WHERE worker_id = 'leaving'"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_compatibility_heartbeats WHERE worker_id = 'leaving'"));
        var error = await HttpAssert.ErrorAsync(again, HttpStatusCode.NotFound, "worker_not_found");
        Assert.Equal("leaving", (string?)error["worker_id"]);
    }

    [Theory]
    [InlineData(null, "missing_protocol_version")]
    [InlineData("2.0", "unsupported_protocol_version")]
    [InlineData("1.9", "unsupported_protocol_version")]
    public async Task worker_routes_require_a_supported_protocol_version(string? version, string reason)
    {
        using var client = WorkerClient(version: version);

        using var register = await client.PostAsync("/api/worker/register", ServerFactory.Json("""{"task_queue":"v","runtime":"python"}"""));
        using var heartbeat = await client.PostAsync("/api/worker/heartbeat", ServerFactory.Json("""{"worker_id":"x"}"""));
        using var deregister = await client.DeleteAsync("/api/worker/registrations/x");

        foreach (var response in new[] { register, heartbeat, deregister })
        {
            var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest, reason);
            Assert.Equal("1.1", (string?)error["supported_version"]);
            Assert.Equal(version, (string?)error["requested_version"]);
        }
    }

    [Fact]
    public async Task an_older_minor_version_is_accepted()
    {
        using var client = WorkerClient(version: "1.0");

        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json("""{"task_queue":"v10","runtime":"python"}"""));

        await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
        Assert.Equal("1.1", response.Headers.GetValues(HeaderNames.WorkerProtocolVersion).Single());
    }

    [Fact]
    public async Task unknown_namespace_is_404_namespace_not_found()
    {
        using var client = WorkerClient(@namespace: "ghost-space");

        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json("""{"task_queue":"q","runtime":"python"}"""));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.NotFound, "namespace_not_found");
        Assert.Equal("ghost-space", (string?)error["namespace"]);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_registrations WHERE namespace = 'ghost-space'"));
    }

    [Theory]
    [InlineData(ServerFactory.AdminToken, "admin")]
    [InlineData(ServerFactory.OperatorToken, "operator")]
    public async Task control_plane_tokens_are_forbidden_on_worker_routes(string token, string role)
    {
        using var client = WorkerClient(token);

        using var register = await client.PostAsync("/api/worker/register", ServerFactory.Json("""{"task_queue":"q","runtime":"python"}"""));
        using var heartbeat = await client.PostAsync("/api/worker/heartbeat", ServerFactory.Json("""{"worker_id":"x"}"""));
        using var deregister = await client.DeleteAsync("/api/worker/registrations/x");

        foreach (var response in new[] { register, heartbeat, deregister })
        {
            var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
            Assert.Equal(role, (string?)error["role"]);
            Assert.Equal("""["worker"]""", error["allowed_roles"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task worker_token_is_forbidden_on_the_management_routes_and_operators_cannot_delete()
    {
        using var worker = server.ControlClient(ServerFactory.WorkerToken);
        using var operatorClient = server.ControlClient(ServerFactory.OperatorToken);

        using var list = await worker.GetAsync("/api/workers");
        using var delete = await operatorClient.DeleteAsync("/api/workers/anyone");

        await HttpAssert.ErrorAsync(list, HttpStatusCode.Forbidden, "forbidden");
        await HttpAssert.ErrorAsync(delete, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task fixtures_register_describe_list_and_deregister()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('orders-prod') ON CONFLICT DO NOTHING");
        using var worker = WorkerClient(@namespace: "orders-prod");
        using var control = server.ControlClient(@namespace: "orders-prod");

        var registerFixture = SharedFixtures.ControlPlane("worker-register-parity");
        using var registerRequest = registerFixture.ToRequest();
        using var registerResponse = await worker.SendAsync(registerRequest);
        var registered = await HttpAssert.JsonAsync(registerResponse, HttpStatusCode.Created);
        AssertSemantic(registered, registerFixture.Semantic);
        Assert.True((bool)registered["registered"]!);
        await RegisterAsync(worker,
            """{"worker_id":"batch-worker-231","task_queue":"external-workflows","runtime":"worker-runtime","sdk_version":"polyglot-sdk/2.0.0","build_id":"build-232"}""");
        await RegisterAsync(worker, """{"worker_id":"elsewhere-231","task_queue":"another-queue","runtime":"python"}""");

        var described = await SendAsync(control, "worker-describe-parity", HttpStatusCode.OK);
        AssertSemantic(described, SharedFixtures.ControlPlane("worker-describe-parity").Semantic);
        var describeExpected = SharedFixtures.ControlPlane("worker-describe-parity").Json["response_body"]!.AsObject();
        foreach (var key in new[] { "sdk_version", "build_id", "max_concurrent_workflow_tasks", "max_concurrent_activity_tasks", "supported_workflow_types", "supported_activity_types" })
        {
            Assert.True(JsonNode.DeepEquals(describeExpected[key], described[key]), key);
        }

        Assert.Equal("[]", described["workflow_definition_fingerprints"]!.ToJsonString());
        foreach (var key in new[] { "last_heartbeat_at", "registered_at", "updated_at" })
        {
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", (string?)described[key]);
        }

        var listFixture = SharedFixtures.ControlPlane("worker-list-parity");
        var query = listFixture.Json["request"]!["query"]!.AsObject();
        using var listResponse = await control.GetAsync(
            $"{listFixture.Path}?task_queue={Uri.EscapeDataString((string)query["task_queue"]!)}&status={Uri.EscapeDataString((string)query["status"]!)}");
        var listed = await HttpAssert.JsonAsync(listResponse, HttpStatusCode.OK);
        var listSemantic = listFixture.Semantic;
        Assert.Equal((string?)listSemantic["namespace"], (string?)listed["namespace"]);
        Assert.Equal(30, (int)listed["stale_after_seconds"]!);
        var workers = listed["workers"]!.AsArray().Select(w => w!.AsObject()).ToList();
        Assert.Equal(
            listSemantic["worker_ids"]!.AsArray().Select(n => (string)n!).Order(StringComparer.Ordinal),
            workers.Select(w => (string)w["worker_id"]!).Order(StringComparer.Ordinal));
        Assert.All(workers, w => Assert.Equal((string?)listSemantic["task_queue"], (string?)w["task_queue"]));
        Assert.All(workers, w => Assert.Equal((string?)listSemantic["status"], (string?)w["status"]));
        Assert.All(workers, w => Assert.False(w.ContainsKey("updated_at")));
        Assert.Equal("build-232", (string?)workers.Single(w => (string?)w["worker_id"] == "batch-worker-231")["build_id"]);

        var deleted = await SendAsync(control, "worker-deregister-parity", HttpStatusCode.OK);
        AssertSemantic(deleted, SharedFixtures.ControlPlane("worker-deregister-parity").Semantic);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_worker_registrations WHERE namespace = 'orders-prod' AND worker_id = 'polyglot-worker-231'"));
        using var describeAgain = await control.GetAsync("/api/workers/polyglot-worker-231");
        var missing = await HttpAssert.ErrorAsync(describeAgain, HttpStatusCode.NotFound, "worker_not_found");
        Assert.Equal("Worker [polyglot-worker-231] not found in namespace [orders-prod].", (string?)missing["message"]);
        using var deleteAgain = await control.DeleteAsync("/api/workers/polyglot-worker-231");
        await HttpAssert.ErrorAsync(deleteAgain, HttpStatusCode.NotFound, "worker_not_found");
    }

    [Fact]
    public async Task management_view_derives_stale_and_filters_on_the_stored_status()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('stale-ns') ON CONFLICT DO NOTHING");
        using var worker = WorkerClient(@namespace: "stale-ns");
        using var control = server.ControlClient(ServerFactory.OperatorToken, "stale-ns");
        await RegisterAsync(worker, """{"worker_id":"fresh","task_queue":"s","runtime":"python","workflow_definition_fingerprints":{"w":"fp"}}""");
        await RegisterAsync(worker, """{"worker_id":"old","task_queue":"s","runtime":"python"}""");
        await database.ExecuteAsync("UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '31 seconds' WHERE worker_id = 'old'");

        using var all = await control.GetAsync("/api/workers");
        using var active = await control.GetAsync("/api/workers?status=active");
        using var stale = await control.GetAsync("/api/workers?status=stale");
        using var old = await control.GetAsync("/api/workers/old");

        var workers = (await HttpAssert.JsonAsync(all, HttpStatusCode.OK))["workers"]!.AsArray().Select(w => w!.AsObject()).ToList();
        Assert.Equal(["fresh", "old"], workers.Select(w => (string)w["worker_id"]!));
        Assert.Equal(["active", "stale"], workers.Select(w => (string)w["status"]!));
        Assert.Equal("""{"w":"fp"}""", workers[0]["workflow_definition_fingerprints"]!.ToJsonString());
        Assert.Equal(2, (await HttpAssert.JsonAsync(active, HttpStatusCode.OK))["workers"]!.AsArray().Count);
        Assert.Empty((await HttpAssert.JsonAsync(stale, HttpStatusCode.OK))["workers"]!.AsArray());
        Assert.Equal("stale", (string?)(await HttpAssert.JsonAsync(old, HttpStatusCode.OK))["status"]);
        Assert.Equal("2", all.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
    }

    private HttpClient WorkerClient(string? token = ServerFactory.WorkerToken, string? @namespace = "default", string? version = "1.1")
    {
        var client = server.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (version is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, version);
        }

        if (@namespace is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderNames.Namespace, @namespace);
        }

        return client;
    }

    private static async Task<JsonObject> RegisterAsync(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(body));
        return await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
    }

    private static async Task<JsonObject> HeartbeatAsync(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/api/worker/heartbeat", ServerFactory.Json(body));
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static async Task<JsonObject> SendAsync(HttpClient client, string fixture, HttpStatusCode expected)
    {
        using var request = SharedFixtures.ControlPlane(fixture).ToRequest();
        using var response = await client.SendAsync(request);
        return await HttpAssert.JsonAsync(response, expected);
    }

    private async Task<string> CountsAsync() =>
        (await database.ScalarAsync<string>(
            """
            SELECT (SELECT count(*) FROM workflow_worker_registrations) || '/' ||
                   (SELECT count(*) FROM workflow_worker_compatibility_heartbeats) || '/' ||
                   (SELECT count(*) FROM workflow_task_queues)
            """))!;

    private static void AssertSemantic(JsonObject actual, JsonObject semantic)
    {
        foreach (var (key, value) in semantic)
        {
            Assert.True(JsonNode.DeepEquals(value, actual[key]), $"{key}: expected {value?.ToJsonString()}, got {actual[key]?.ToJsonString()}");
        }
    }
}
