using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Bridge;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>
/// <c>POST /api/bridge-adapters/webhook/{adapter}</c> (control-plane spec §11.2): the official clients' fixture, start,
/// signal and update through the existing services, every reason, and a repeated idempotency key answering
/// <c>duplicate</c> with the first outcome on another node and after a restart.
/// </summary>
public sealed class BridgeWebhookRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task fixture_starts_a_workflow_and_answers_the_outcome_document()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var fixture = SharedFixtures.ControlPlane("bridge-webhook-parity");
        var body = fixture.Json["cli"]!["expected_body"]!.AsObject();
        Assert.True(JsonNode.DeepEquals(body, fixture.Json["sdk_python"]!["expected_body"]));

        var answer = await PostAsync(client, fixture.Path, body, HttpStatusCode.Accepted);

        var expected = fixture.Json["response_body"]!.AsObject();
        foreach (var (key, value) in expected)
        {
            if (key is not ("workflow_id" or "run_id"))
            {
                Assert.True(JsonNode.DeepEquals(value, answer[key]), $"{key}: expected {value?.ToJsonString()}, got {answer[key]?.ToJsonString()}");
            }
        }

        Assert.Equal(expected.Select(p => p.Key).Order(), answer.Select(p => p.Key).Order());
        var workflowId = (string)answer["workflow_id"]!;
        Assert.StartsWith("bridge-stripe-", workflowId, StringComparison.Ordinal);
        Assert.Equal(1, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_runs WHERE workflow_instance_id = '{workflowId}' AND id = '{answer["run_id"]}' AND business_key = 'order-231' AND task_queue = 'external-workflows' AND workflow_type = 'orders.fulfillment'"));
        Assert.Equal(1, await database.ScalarAsync<long>(
            "SELECT count(*) FROM workflow_bridge_events WHERE adapter = 'stripe' AND idempotency_key = 'stripe-event-231' AND http_status = 202"));
    }

    [Fact]
    public async Task a_repeated_key_answers_duplicate_with_the_first_outcome_on_another_node_and_after_a_restart()
    {
        var body = StartEvent("evt-restart", "orders.refund");
        using var nodeA = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var nodeB = ServerFactory.WithRoleTokens(database.ConnectionString);
        JsonObject first;
        using (var a = nodeA.ControlClient(ServerFactory.OperatorToken))
        {
            first = await PostAsync(a, "/api/bridge-adapters/webhook/shopify", body, HttpStatusCode.Accepted);
        }

        using var b = nodeB.ControlClient(ServerFactory.OperatorToken);
        var onB = await PostAsync(b, "/api/bridge-adapters/webhook/shopify", body, HttpStatusCode.OK);
        AssertDuplicateOf(first, onB, "duplicate_start");

        nodeA.Dispose();
        using var restarted = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var c = restarted.ControlClient(ServerFactory.OperatorToken);
        var afterRestart = await PostAsync(c, "/api/bridge-adapters/webhook/shopify", body, HttpStatusCode.OK);
        AssertDuplicateOf(first, afterRestart, "duplicate_start");

        Assert.Equal(1, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_runs WHERE workflow_instance_id = '{first["workflow_id"]}'"));
    }

    [Fact]
    public async Task the_same_key_delivered_to_two_nodes_at_once_acts_once()
    {
        using var nodeA = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var nodeB = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var a = nodeA.ControlClient(ServerFactory.OperatorToken);
        using var b = nodeB.ControlClient(ServerFactory.OperatorToken);
        var workflowId = await StartWorkflowAsync(a, "race-target");
        var body = new JsonObject
        {
            ["action"] = "signal_workflow",
            ["idempotency_key"] = "evt-race",
            ["target"] = new JsonObject { ["workflow_id"] = workflowId, ["signal_name"] = "paid" },
            ["input"] = new JsonArray(42),
        };

        var answers = await Task.WhenAll(
            SendAsync(a, "/api/bridge-adapters/webhook/stripe", body),
            SendAsync(b, "/api/bridge-adapters/webhook/stripe", body));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Accepted], answers.Select(x => x.Status).Order());
        var accepted = answers.Single(x => x.Status == HttpStatusCode.Accepted).Body;
        AssertDuplicateOf(accepted, answers.Single(x => x.Status == HttpStatusCode.OK).Body, reason: null);
        Assert.Equal(1, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_signals s JOIN workflow_runs r ON r.id = s.run_id WHERE r.workflow_instance_id = '{workflowId}'"));
    }

    [Fact]
    public async Task signal_and_update_go_through_the_command_services_and_dedupe_by_key()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var workflowId = await StartWorkflowAsync(client, "commands-target");
        var signal = new JsonObject
        {
            ["action"] = "signal_workflow",
            ["idempotency_key"] = "evt-signal",
            ["target"] = new JsonObject { ["workflow_id"] = workflowId, ["signal_name"] = "approved", ["secret_field"] = "not echoed" },
            ["input"] = new JsonArray("alice"),
            ["correlation"] = new JsonObject { ["provider"] = "github" },
        };
        var update = new JsonObject
        {
            ["action"] = "update_workflow",
            ["idempotency_key"] = "evt-update",
            ["target"] = new JsonObject { ["workflow_id"] = workflowId, ["update_name"] = "set-limit", ["wait_for"] = "accepted" },
            ["input"] = new JsonArray(10),
        };

        var signalled = await PostAsync(client, "/api/bridge-adapters/webhook/github", signal, HttpStatusCode.Accepted);
        var updated = await PostAsync(client, "/api/bridge-adapters/webhook/github", update, HttpStatusCode.Accepted);
        var signalAgain = await PostAsync(client, "/api/bridge-adapters/webhook/github", signal, HttpStatusCode.OK);
        var updateAgain = await PostAsync(client, "/api/bridge-adapters/webhook/github", update, HttpStatusCode.OK);

        Assert.Equal("signal_received", (string?)signalled["control_plane_outcome"]);
        Assert.Equal("accepted", (string?)signalled["command_status"]);
        Assert.Equal("""{"workflow_id":"commands-target","signal_name":"approved"}""", signalled["target"]!.ToJsonString());
        Assert.Equal("github", (string?)signalled["correlation"]!["provider"]);
        Assert.Equal("accepted", (string?)updated["update_status"]);
        AssertDuplicateOf(signalled, signalAgain, reason: null);
        AssertDuplicateOf(updated, updateAgain, reason: null);
        Assert.Equal(1, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_signals s JOIN workflow_runs r ON r.id = s.run_id WHERE r.workflow_instance_id = '{workflowId}'"));
        Assert.Equal(1, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_updates u JOIN workflow_runs r ON r.id = u.run_id WHERE r.workflow_instance_id = '{workflowId}'"));
        Assert.Equal(1, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_commands WHERE workflow_instance_id = '{workflowId}' AND command_type = 'signal'"));
    }

    [Fact]
    public async Task a_rejection_stores_nothing_so_a_corrected_redelivery_acts()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var body = new JsonObject
        {
            ["action"] = "signal_workflow",
            ["idempotency_key"] = "evt-early",
            ["target"] = new JsonObject { ["workflow_id"] = "arrives-later", ["signal_name"] = "go" },
        };

        var early = await PostAsync(client, "/api/bridge-adapters/webhook/stripe", body, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("unknown_target", (string?)early["reason"]);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_bridge_events WHERE idempotency_key = 'evt-early'"));

        await StartWorkflowAsync(client, "arrives-later");
        var later = await PostAsync(client, "/api/bridge-adapters/webhook/stripe", body, HttpStatusCode.Accepted);
        Assert.Equal("accepted", (string?)later["outcome"]);
    }

    [Fact]
    public async Task duplicate_start_is_422_for_reject_duplicate_and_a_200_duplicate_for_use_existing()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        await StartWorkflowAsync(client, "already-there");
        var reject = StartEvent("evt-reject", "orders.sync");
        reject["target"]!["workflow_id"] = "already-there";
        reject["target"]!["duplicate_policy"] = "reject_duplicate";
        var reuse = StartEvent("evt-reuse", "orders.sync");
        reuse["target"]!["workflow_id"] = "already-there";

        var rejected = await PostAsync(client, "/api/bridge-adapters/webhook/stripe", reject, HttpStatusCode.UnprocessableEntity);
        var reused = await PostAsync(client, "/api/bridge-adapters/webhook/stripe", reuse, HttpStatusCode.OK);

        Assert.Equal(("rejected", "duplicate_start", "rejected_duplicate"),
            ((string?)rejected["outcome"], (string?)rejected["reason"], (string?)rejected["control_plane_outcome"]));
        Assert.False((bool)rejected["accepted"]!);
        Assert.Equal(("duplicate", "duplicate_start", "returned_existing_active"),
            ((string?)reused["outcome"], (string?)reused["reason"], (string?)reused["control_plane_outcome"]));
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE workflow_instance_id = 'already-there'"));
    }

    [Theory]
    [InlineData("bad%20adapter!", """{"action":"start_workflow","idempotency_key":"k","target":{"workflow_type":"t"}}""", "unsupported_routing")]
    [InlineData("stripe", """{"action":"start_workflow","target":{"workflow_type":"t"}}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"start_workflow","idempotency_key":"k"}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"start_workflow","idempotency_key":"k","target":[1]}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"start_workflow","idempotency_key":"k","target":{"workflow_type":"t"},"input":"scalar"}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"start_workflow","idempotency_key":"k","target":{"workflow_id":"no type"}}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"start_workflow","idempotency_key":"k","target":{"workflow_type":"t","duplicate_policy":"use-existing"}}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"signal_workflow","idempotency_key":"k","target":{"workflow_id":"w"}}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"update_workflow","idempotency_key":"k","target":{"workflow_id":"w","update_name":"u","wait_for":"later"}}""", "malformed_payload")]
    [InlineData("stripe", """{"action":"handoff_external_task","idempotency_key":"k","target":{}}""", "unsupported_action")]
    [InlineData("stripe", """{"action":"signal_workflow","idempotency_key":"k","target":{"workflow_id":"nobody-home","signal_name":"s"}}""", "unknown_target")]
    [InlineData("stripe", """{"action":"update_workflow","idempotency_key":"k","target":{"workflow_id":"nobody-home","update_name":"u"}}""", "unknown_target")]
    public async Task rejections_are_422_outcome_documents_with_their_reason_and_change_nothing(string adapter, string body, string reason)
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var before = await CountsAsync();

        using var response = await client.PostAsync($"/api/bridge-adapters/webhook/{adapter}", ServerFactory.Json(body));

        var answer = await HttpAssert.JsonAsync(response, HttpStatusCode.UnprocessableEntity);
        AssertRejected(answer, reason);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task an_input_over_the_bound_is_payload_too_large()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var body = StartEvent("evt-big", "orders.bulk");
        body["input"] = new JsonArray(new string('x', BridgeWebhookService.MaxInputBytes));
        var before = await CountsAsync();

        var answer = await PostAsync(client, "/api/bridge-adapters/webhook/stripe", body, HttpStatusCode.UnprocessableEntity);

        AssertRejected(answer, "payload_too_large");
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task configured_adapters_refuse_unlisted_ones_and_check_signatures()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_BRIDGE_ADAPTERS", "stripe=whsec_test, github"));
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        var body = StartEvent("evt-signed", "orders.signed").ToJsonString();

        var unlisted = await SendRawAsync(client, "gitlab", body, signature: null);
        var unsigned = await SendRawAsync(client, "stripe", body, signature: null);
        var forged = await SendRawAsync(client, "stripe", body, Signature("wrong-secret", body));
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE workflow_type = 'orders.signed'"));
        var signed = await SendRawAsync(client, "stripe", body, Signature("whsec_test", body));
        var open = await SendRawAsync(client, "github", StartEvent("evt-open", "orders.open").ToJsonString(), signature: null);

        AssertRejected(unlisted.Body, "adapter_unavailable");
        AssertRejected(unsigned.Body, "auth_failed");
        AssertRejected(forged.Body, "auth_failed");
        Assert.Equal([HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity],
            new[] { unlisted.Status, unsigned.Status, forged.Status });
        Assert.Equal(HttpStatusCode.Accepted, signed.Status);
        Assert.Equal(HttpStatusCode.Accepted, open.Status);
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE workflow_type = 'orders.signed'"));
    }

    [Fact]
    public async Task workers_cannot_call_the_webhook()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(ServerFactory.WorkerToken);

        using var response = await client.PostAsync("/api/bridge-adapters/webhook/stripe", ServerFactory.Json(StartEvent("evt-worker", "t").ToJsonString()));

        await HttpAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    private static JsonObject StartEvent(string key, string workflowType) => new()
    {
        ["action"] = "start_workflow",
        ["idempotency_key"] = key,
        ["target"] = new JsonObject { ["workflow_type"] = workflowType, ["task_queue"] = "bridge-queue" },
        ["input"] = new JsonObject { ["order"] = key },
    };

    private static void AssertDuplicateOf(JsonObject first, JsonObject duplicate, string? reason)
    {
        Assert.Equal("duplicate", (string?)duplicate["outcome"]);
        Assert.False((bool)duplicate["accepted"]!);
        Assert.Equal(reason, (string?)duplicate["reason"]);
        foreach (var key in new[] { "schema", "version", "adapter", "action", "idempotency_key", "target", "workflow_id", "run_id", "control_plane_outcome", "command_id" })
        {
            Assert.True(JsonNode.DeepEquals(first[key], duplicate[key]), $"{key}: first {first[key]?.ToJsonString()}, duplicate {duplicate[key]?.ToJsonString()}");
        }
    }

    private static void AssertRejected(JsonObject answer, string reason)
    {
        Assert.Equal(BridgeOutcome.Schema, (string?)answer["schema"]);
        Assert.Equal(1, (int)answer["version"]!);
        Assert.Equal("rejected", (string?)answer["outcome"]);
        Assert.False((bool)answer["accepted"]!);
        Assert.Equal(reason, (string?)answer["reason"]);
        Assert.False(string.IsNullOrEmpty((string?)answer["message"]));
    }

    private static async Task<string> StartWorkflowAsync(HttpClient client, string workflowId)
    {
        using var response = await client.PostAsync("/api/workflows",
            ServerFactory.Json($$"""{"workflow_id":"{{workflowId}}","workflow_type":"bridge.target","task_queue":"bridge-queue"}"""));
        await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
        return workflowId;
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return await HttpAssert.JsonAsync(response, expected);
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpClient client, string path, JsonObject body)
    {
        using var response = await client.PostAsync(path, ServerFactory.Json(body.ToJsonString()));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> SendRawAsync(HttpClient client, string adapter, string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/bridge-adapters/webhook/{adapter}") { Content = ServerFactory.Json(body) };
        if (signature is not null)
        {
            request.Headers.Add(BridgeWebhookService.SignatureHeader, signature);
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static string Signature(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private async Task<(long Runs, long Commands, long Events)> CountsAsync() => (
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs"),
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_commands"),
        await database.ScalarAsync<long>("SELECT count(*) FROM workflow_bridge_events"));
}
