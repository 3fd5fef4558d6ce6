using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>The namespaces API against the official clients' parity fixtures (control-plane spec §3).</summary>
public sealed class NamespaceRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task fixtures_create_describe_update_list_and_set_storage_driver()
    {
        using var client = server.ControlClient();

        var created = await SendAsync(client, "namespace-create-parity", HttpStatusCode.Created);
        var described = await SendAsync(client, "namespace-describe-parity", HttpStatusCode.OK);
        var updated = await SendAsync(client, "namespace-update-parity", HttpStatusCode.OK);
        var storage = await SendAsync(client, "namespace-set-storage-driver-parity", HttpStatusCode.OK);
        var listed = await SendAsync(client, "namespace-list-parity", HttpStatusCode.OK);

        AssertSemantic(created, SharedFixtures.ControlPlane("namespace-create-parity").Semantic);
        Assert.True(created.ContainsKey("created_at"));
        Assert.False(created.ContainsKey("updated_at"));
        Assert.Null(created["external_payload_storage"]);
        AssertSemantic(described, SharedFixtures.ControlPlane("namespace-describe-parity").Semantic);
        Assert.True(described.ContainsKey("created_at") && described.ContainsKey("updated_at"));
        AssertSemantic(updated, SharedFixtures.ControlPlane("namespace-update-parity").Semantic);
        Assert.False(updated.ContainsKey("created_at"));

        var storageSemantic = SharedFixtures.ControlPlane("namespace-set-storage-driver-parity").Semantic;
        var policy = storage["external_payload_storage"]!.AsObject();
        Assert.Equal((string?)storageSemantic["namespace"], (string?)storage["name"]);
        Assert.Equal((string?)storageSemantic["driver"], (string?)policy["driver"]);
        Assert.Equal((bool)storageSemantic["enabled"]!, (bool)policy["enabled"]!);
        Assert.Equal((long)storageSemantic["threshold_bytes"]!, (long)policy["threshold_bytes"]!);
        foreach (var key in new[] { "disk", "bucket", "prefix" })
        {
            Assert.Equal((string?)storageSemantic[key], (string?)policy["config"]![key]);
        }

        var listSemantic = SharedFixtures.ControlPlane("namespace-list-parity").Semantic;
        var expectedNames = listSemantic["namespace_names"]!.AsArray().Select(n => (string)n!).ToList();
        // Other tests of this class add namespaces to the same database; the fixture's two must be listed in insertion order.
        var namespaces = listed["namespaces"]!.AsArray().Select(n => n!.AsObject()).Where(n => expectedNames.Contains((string)n["name"]!)).ToList();
        Assert.Equal(expectedNames, namespaces.Select(n => (string)n["name"]!));
        Assert.Equal(30, (int)namespaces[0]["retention_days"]!);
        Assert.Equal(120, (int)namespaces[1]["retention_days"]!);
        Assert.All(namespaces, n => Assert.Equal("active", (string?)n["status"]));
        Assert.All(namespaces, n => Assert.EndsWith("+00:00", (string?)n["created_at"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task duplicate_names_conflict_case_insensitively_and_change_nothing()
    {
        using var client = server.ControlClient();
        using var first = await client.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"Payments","retention_days":7}"""));
        await HttpAssert.JsonAsync(first, HttpStatusCode.Created);

        using var second = await client.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"PAYMENTS","retention_days":9}"""));

        var error = await HttpAssert.ErrorAsync(second, HttpStatusCode.Conflict, "namespace_already_exists");
        Assert.Equal("payments", (string?)error["namespace"]);
        Assert.Equal(7, await database.ScalarAsync<int>("SELECT retention_days FROM workflow_namespaces WHERE name = 'payments'"));
    }

    [Theory]
    [InlineData("{}", "name")]
    [InlineData("""{"name":"bad name"}""", "name")]
    [InlineData("""{"name":5}""", "name")]
    [InlineData("""{"name":"ok-name","retention_days":0}""", "retention_days")]
    [InlineData("""{"name":"ok-name","retention_days":366}""", "retention_days")]
    [InlineData("""{"name":"ok-name","retention_days":"30"}""", "retention_days")]
    public async Task invalid_create_requests_are_422_and_write_nothing(string body, string field)
    {
        using var client = server.ControlClient();
        var before = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_namespaces");

        using var response = await client.PostAsync("/api/namespaces", ServerFactory.Json(body));

        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.True(error["errors"]!.AsObject().ContainsKey(field));
        Assert.Equal(error["errors"]!.ToJsonString(), error["validation_errors"]!.ToJsonString());
        Assert.Equal(before, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_namespaces"));
    }

    [Fact]
    public async Task unknown_namespace_is_404_with_the_namespace_named()
    {
        using var client = server.ControlClient();

        using var show = await client.GetAsync("/api/namespaces/Ghost");
        using var update = await client.PutAsync("/api/namespaces/ghost", ServerFactory.Json("""{"retention_days":3}"""));

        var error = await HttpAssert.ErrorAsync(show, HttpStatusCode.NotFound, "namespace_not_found");
        Assert.Equal("ghost", (string?)error["namespace"]);
        Assert.Equal("Namespace [ghost] not found.", (string?)error["message"]);
        await HttpAssert.ErrorAsync(update, HttpStatusCode.NotFound, "namespace_not_found");
    }

    [Fact]
    public async Task update_applies_only_the_values_given()
    {
        using var client = server.ControlClient();
        using var created = await client.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"partial","description":"keep me","retention_days":10}"""));
        await HttpAssert.JsonAsync(created, HttpStatusCode.Created);

        using var response = await client.PutAsync("/api/namespaces/partial", ServerFactory.Json("""{"retention_days":11,"description":null}"""));

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("keep me", (string?)body["description"]);
        Assert.Equal(11, (int)body["retention_days"]!);
    }

    [Fact]
    public async Task storage_policy_rejects_unknown_drivers_and_drops_empty_config()
    {
        using var client = server.ControlClient();

        using var bad = await client.PutAsync("/api/namespaces/default/external-storage", ServerFactory.Json("""{"driver":"ftp"}"""));
        using var good = await client.PutAsync("/api/namespaces/default/external-storage", ServerFactory.Json("""{"driver":"local","config":{"disk":"","bucket":null}}"""));

        await HttpAssert.ErrorAsync(bad, (HttpStatusCode)422, "validation_failed");
        var body = await HttpAssert.JsonAsync(good, HttpStatusCode.OK);
        var policy = body["external_payload_storage"]!.AsObject();
        Assert.Equal("local", (string?)policy["driver"]);
        Assert.True((bool)policy["enabled"]!);
        Assert.False(policy.ContainsKey("config"));
        Assert.False(policy.ContainsKey("threshold_bytes"));
    }

    private static async Task<JsonObject> SendAsync(HttpClient client, string fixture, HttpStatusCode expected)
    {
        using var request = SharedFixtures.ControlPlane(fixture).ToRequest();
        using var response = await client.SendAsync(request);
        return await HttpAssert.JsonAsync(response, expected);
    }

    private static void AssertSemantic(JsonObject actual, JsonObject semantic)
    {
        foreach (var (key, value) in semantic)
        {
            Assert.True(JsonNode.DeepEquals(value, actual[key]), $"{key}: expected {value?.ToJsonString()}, got {actual[key]?.ToJsonString()}");
        }
    }
}
