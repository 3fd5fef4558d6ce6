using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>Search-attribute definitions (control plane §6) over HTTP: fixture parity, every status and reason, the check order.</summary>
public sealed class SearchAttributeRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string DefinitionsSql = "SELECT coalesce(string_agg(namespace || ':' || name || ':' || type, ',' ORDER BY namespace, name), '') FROM search_attribute_definitions";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task create_list_and_delete_match_the_client_fixtures()
    {
        await database.ExecuteAsync("DELETE FROM search_attribute_definitions");
        using var client = server.ControlClient(ServerFactory.OperatorToken);

        var create = SharedFixtures.ControlPlane("search-attribute-create-parity");
        using (var request = create.ToRequest())
        using (var response = await client.SendAsync(request))
        {
            var body = await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
            Assert.True(JsonNode.DeepEquals(create.Json["response_body"], body), body.ToJsonString());
        }

        await PostAsync(client, """{"name":"Priority","type":"int"}""", HttpStatusCode.Created);

        var list = SharedFixtures.ControlPlane("search-attribute-list-parity");
        using (var request = list.ToRequest())
        using (var response = await client.SendAsync(request))
        {
            var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
            foreach (var (name, type) in list.Semantic["system_attributes"]!.AsObject())
            {
                Assert.Equal((string?)type, (string?)body["system_attributes"]![name]);
            }

            Assert.Equal(
                """{"WorkflowType":"keyword","WorkflowId":"keyword","RunId":"keyword","Status":"keyword","StartTime":"datetime","CloseTime":"datetime","TaskQueue":"keyword","BuildId":"keyword"}""",
                body["system_attributes"]!.ToJsonString());
            Assert.True(JsonNode.DeepEquals(list.Semantic["custom_attributes"], body["custom_attributes"]), body.ToJsonString());
        }

        var delete = SharedFixtures.ControlPlane("search-attribute-delete-parity");
        using (var request = delete.ToRequest())
        using (var response = await client.SendAsync(request))
        {
            var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
            Assert.True(JsonNode.DeepEquals(delete.Json["response_body"], body), body.ToJsonString());
        }

        Assert.Equal("default:Priority:int", await database.ScalarAsync<string>(DefinitionsSql));
    }

    [Fact]
    public async Task custom_attributes_are_sorted_by_name_and_scoped_to_the_namespace()
    {
        await database.ExecuteAsync("DELETE FROM search_attribute_definitions");
        using var admin = server.ControlClient();
        using (var created = await admin.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"sa-other"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var other = server.ControlClient(@namespace: "sa-other");
        await PostAsync(admin, """{"name":"Zeta","type":"text"}""", HttpStatusCode.Created);
        await PostAsync(admin, """{"name":"Alpha","type":"keyword_list"}""", HttpStatusCode.Created);
        await PostAsync(other, """{"name":"Alpha","type":"bool"}""", HttpStatusCode.Created);

        var listed = await GetAsync(admin, "/api/search-attributes");
        Assert.Equal("""{"Alpha":"keyword_list","Zeta":"text"}""", listed["custom_attributes"]!.ToJsonString());
        Assert.Equal("""{"Alpha":"bool"}""", (await GetAsync(other, "/api/search-attributes"))["custom_attributes"]!.ToJsonString());

        await DeleteAsync(other, "Zeta", HttpStatusCode.NotFound);
        Assert.Equal("default:Alpha:keyword_list,default:Zeta:text,sa-other:Alpha:bool", await database.ScalarAsync<string>(DefinitionsSql));
    }

    [Theory]
    [InlineData("{}", "name")]
    [InlineData("""{"type":"keyword"}""", "name")]
    [InlineData("""{"name":"","type":"keyword"}""", "name")]
    [InlineData("""{"name":"1abc","type":"keyword"}""", "name")]
    [InlineData("""{"name":"has-dash","type":"keyword"}""", "name")]
    [InlineData("""{"name":"Ok","type":"integer"}""", "type")]
    [InlineData("""{"name":"Ok"}""", "type")]
    [InlineData("""{"name":7,"type":"keyword"}""", "name")]
    [InlineData("""{"name":"WorkflowId","type":"nope"}""", "type")]
    public async Task invalid_definitions_are_422_and_write_nothing(string body, string field)
    {
        using var client = server.ControlClient();
        var before = await database.ScalarAsync<string>(DefinitionsSql);

        using var response = await client.PostAsync("/api/search-attributes", ServerFactory.Json(body));

        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.NotNull(error["errors"]![field]);
        Assert.Equal(error["errors"]!.ToJsonString(), error["validation_errors"]!.ToJsonString());
        Assert.Equal(before, await database.ScalarAsync<string>(DefinitionsSql));
    }

    [Fact]
    public async Task a_name_of_129_characters_is_invalid()
    {
        using var client = server.ControlClient();
        using var response = await client.PostAsync("/api/search-attributes", ServerFactory.Json($$"""{"name":"{{new string('a', 129)}}","type":"int"}"""));
        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.Contains("128", (string?)error["errors"]!["name"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task reserved_existing_and_limit_answer_in_the_documented_order()
    {
        await database.ExecuteAsync("DELETE FROM search_attribute_definitions");
        using var client = server.ControlClient();

        var reserved = await PostAsync(client, """{"name":"WorkflowId","type":"keyword"}""", HttpStatusCode.Conflict);
        Assert.Equal("name_reserved", (string?)reserved["reason"]);
        Assert.Equal("The name [WorkflowId] is reserved as a system search attribute.", (string?)reserved["message"]);

        await PostAsync(client, """{"name":"Priority","type":"int"}""", HttpStatusCode.Created);
        var exists = await PostAsync(client, """{"name":"Priority","type":"keyword"}""", HttpStatusCode.Conflict);
        Assert.Equal("attribute_already_exists", (string?)exists["reason"]);
        Assert.Equal("A custom search attribute [Priority] already exists in namespace [default].", (string?)exists["message"]);
        Assert.Equal("Priority", (string?)exists["name"]);
        Assert.Equal("int", (string?)exists["type"]);

        await database.ExecuteAsync(
            "INSERT INTO search_attribute_definitions (namespace, name, type) SELECT 'default', 'Attr' || g, 'keyword' FROM generate_series(2, 100) g");
        var limit = await PostAsync(client, """{"name":"OneTooMany","type":"keyword"}""", (HttpStatusCode)422);
        Assert.Equal("search_attribute_limit_reached", (string?)limit["reason"]);
        Assert.Equal("Namespace [default] has reached the maximum of 100 custom search attributes.", (string?)limit["message"]);
        Assert.Equal(100, (int)limit["limit"]!);
        Assert.Equal(100L, await database.ScalarAsync<long>("SELECT count(*) FROM search_attribute_definitions WHERE namespace = 'default'"));

        // At the limit, the earlier checks still win: validation, then reserved, then exists.
        Assert.Equal("validation_failed", (string?)(await PostAsync(client, """{"name":"WorkflowId","type":"bad"}""", (HttpStatusCode)422))["reason"]);
        Assert.Equal("name_reserved", (string?)(await PostAsync(client, """{"name":"RunId","type":"keyword"}""", HttpStatusCode.Conflict))["reason"]);
        Assert.Equal("attribute_already_exists", (string?)(await PostAsync(client, """{"name":"Priority","type":"int"}""", HttpStatusCode.Conflict))["reason"]);

        await DeleteAsync(client, "Attr2", HttpStatusCode.OK);
        await PostAsync(client, """{"name":"OneTooMany","type":"keyword"}""", HttpStatusCode.Created);
    }

    [Fact]
    public async Task concurrent_creates_never_pass_the_limit()
    {
        await database.ExecuteAsync("DELETE FROM search_attribute_definitions WHERE namespace = 'default'");
        await database.ExecuteAsync(
            "INSERT INTO search_attribute_definitions (namespace, name, type) SELECT 'default', 'Fill' || g, 'keyword' FROM generate_series(1, 95) g");
        using var client = server.ControlClient();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await client.PostAsync("/api/search-attributes", ServerFactory.Json($$"""{"name":"Race{{i}}","type":"int"}"""));
            return response.StatusCode;
        }));

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(7, statuses.Count(s => s == (HttpStatusCode)422));
        Assert.Equal(100L, await database.ScalarAsync<long>("SELECT count(*) FROM search_attribute_definitions WHERE namespace = 'default'"));
    }

    [Fact]
    public async Task deleting_a_system_or_unknown_attribute_is_refused()
    {
        using var client = server.ControlClient();
        var before = await database.ScalarAsync<string>(DefinitionsSql);

        var system = await DeleteAsync(client, "StartTime", HttpStatusCode.Conflict);
        Assert.Equal("system_attribute", (string?)system["reason"]);
        Assert.Equal("The system search attribute [StartTime] cannot be removed.", (string?)system["message"]);

        var unknown = await DeleteAsync(client, "NeverDefined", HttpStatusCode.NotFound);
        Assert.Equal("attribute_not_found", (string?)unknown["reason"]);
        Assert.Equal("Custom search attribute [NeverDefined] not found in namespace [default].", (string?)unknown["message"]);

        Assert.Equal("attribute_not_found", (string?)(await DeleteAsync(client, new string('x', 300), HttpStatusCode.NotFound))["reason"]);
        Assert.Equal("attribute_not_found", (string?)(await DeleteAsync(client, "bad%20name", HttpStatusCode.NotFound))["reason"]);
        Assert.Equal(before, await database.ScalarAsync<string>(DefinitionsSql));
    }

    [Fact]
    public async Task the_worker_role_cannot_manage_definitions()
    {
        using var client = server.ControlClient(ServerFactory.WorkerToken);
        using var response = await client.PostAsync("/api/search-attributes", ServerFactory.Json("""{"name":"ByWorker","type":"int"}"""));
        await HttpAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM search_attribute_definitions WHERE name = 'ByWorker'"));
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync("/api/search-attributes", ServerFactory.Json(body));
        return await HttpAssert.JsonAsync(response, expected);
    }

    private static async Task<JsonObject> DeleteAsync(HttpClient client, string name, HttpStatusCode expected)
    {
        using var response = await client.DeleteAsync($"/api/search-attributes/{name}");
        return await HttpAssert.JsonAsync(response, expected);
    }

    private static async Task<JsonObject> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }
}
