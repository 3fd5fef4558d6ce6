using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>
/// <c>GET /api/workflows?query=</c> as a visibility query over system and custom search attributes, and the typed
/// values that make it work: set at start, by <c>upsert_search_attributes</c>, and on definition (backfill).
/// </summary>
public sealed class WorkflowVisibilityQueryTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task the_list_parity_fixture_query_returns_the_two_seeded_workflows()
    {
        using var client = server.ControlClient();
        await DefineAsync(client, "CustomerId", "keyword");
        var fixture = SharedFixtures.ControlPlane("workflow-list-parity");
        var expectedIds = fixture.Semantic["workflow_ids"]!.AsArray().Select(n => (string)n!).ToList();
        for (var i = 0; i < expectedIds.Count; i++)
        {
            await StartAsync(client, new JsonObject
            {
                ["workflow_id"] = expectedIds[i], ["workflow_type"] = "orders.process", ["task_queue"] = "orders",
                ["business_key"] = $"order-{42 + i}", ["search_attributes"] = new JsonObject { ["CustomerId"] = "42" },
            });
        }

        await StartAsync(client, new JsonObject { ["workflow_id"] = "wf-list-other-customer", ["workflow_type"] = "orders.process", ["search_attributes"] = new JsonObject { ["CustomerId"] = "43" } });
        await StartAsync(client, new JsonObject { ["workflow_id"] = "wf-list-other-type", ["workflow_type"] = "orders.refund", ["search_attributes"] = new JsonObject { ["CustomerId"] = "42" } });
        await StartAsync(client, new JsonObject { ["workflow_id"] = "wf-list-no-attributes", ["workflow_type"] = "orders.process" });

        var query = fixture.Json["cli"]!["expected_query"]!.AsObject();
        var queryString = string.Join("&", query.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!.ToString())}"));
        var listed = await ListAsync(client, queryString);

        Assert.Equal(expectedIds.AsEnumerable().Reverse(), Ids(listed));
        Assert.Equal(2, (int)listed["workflow_count"]!);
        var first = listed["workflows"]![0]!;
        Assert.Equal("order-43", (string?)first["business_key"]);
        Assert.Equal("orders", (string?)first["task_queue"]);
        Assert.Equal("""{"CustomerId":"42"}""", first["search_attributes"]!.ToJsonString());
    }

    [Fact]
    public async Task predicates_over_every_custom_type_and_the_system_attributes()
    {
        using var client = server.ControlClient();
        await DefineAsync(client, "Tier", "keyword");
        await DefineAsync(client, "Amount", "int");
        await DefineAsync(client, "Score", "double");
        await DefineAsync(client, "Vip", "bool");
        await DefineAsync(client, "DueAt", "datetime");
        await DefineAsync(client, "Tags", "keyword_list");
        await DefineAsync(client, "Notes", "text");
        var type = $"vis-{Guid.NewGuid():N}";
        await StartAsync(client, Run("p-1", type, """{"Tier":"gold","Amount":10,"Score":1.5,"Vip":true,"DueAt":"2026-05-01T00:00:00Z","Tags":["red","blue"],"Notes":"it's \"quoted\""}"""));
        await StartAsync(client, Run("p-2", type, """{"Tier":"silver","Amount":250,"Score":-2,"Vip":false,"DueAt":"2026-06-01T12:00:00+02:00","Tags":["blue"]}"""));
        await StartAsync(client, Run("p-3", type, """{"Tier":"gold","Amount":-5}"""));
        await StartAsync(client, Run("p-4", type, "{}"));
        await database.ExecuteAsync("UPDATE workflow_runs SET status = 'completed', closed_at = '2026-04-01T00:00:00Z' WHERE workflow_instance_id = 'p-4'");

        async Task<string> Matches(string predicate) =>
            string.Join(",", Ids(await ListAsync(client, $"workflow_type={type}&query={Uri.EscapeDataString(predicate)}")).Order(StringComparer.Ordinal));

        Assert.Equal("p-1,p-3", await Matches("Tier = \"gold\""));
        Assert.Equal("p-2,p-4", await Matches("Tier != 'gold'"));
        Assert.Equal("p-1,p-2", await Matches("Amount > 0"));
        Assert.Equal("p-1,p-3", await Matches("Amount <= 10"));
        Assert.Equal("p-2", await Matches("Amount >= 11 AND Amount < 251"));
        Assert.Equal("p-1", await Matches("Score > 0.5"));
        Assert.Equal("p-2", await Matches("Vip = false"));
        Assert.Equal("p-1", await Matches("DueAt < \"2026-06-01T09:00:00Z\""));
        Assert.Equal("p-2", await Matches("DueAt >= '2026-06-01T10:00:00Z'"));
        Assert.Equal("p-1,p-2", await Matches("Tags = 'blue'"));
        Assert.Equal("p-1", await Matches("Tags IN ('red', 'green')"));
        Assert.Equal("p-2,p-3,p-4", await Matches("Tags NOT IN ('red')"));
        Assert.Equal("p-1", await Matches("Notes = \"it's \\\"quoted\\\"\""));
        Assert.Equal("p-1,p-2,p-3", await Matches("Tier IN ('gold') OR (Amount > 100 AND Vip = false)"));
        Assert.Equal("p-4", await Matches("Status = 'completed' AND CloseTime < '2026-04-02'"));
        Assert.Equal("p-1,p-2,p-3", await Matches("Status IN ('pending', 'running')"));
        Assert.Equal("p-2", await Matches("WorkflowId = 'p-2'"));
        Assert.Equal("p-1,p-2,p-3,p-4", await Matches($"WorkflowType = '{type}' AND TaskQueue = 'default' AND StartTime > '2020-01-01'"));
        Assert.Equal("p-1,p-2,p-3,p-4", await Matches("BuildId != 'v9'"));
        Assert.Equal(string.Empty, await Matches("Tier = \"x' OR '1'='1\""));
    }

    [Fact]
    public async Task malformed_and_hostile_queries_are_422_invalid_query_with_a_position()
    {
        using var client = server.ControlClient();
        await DefineAsync(client, "Region", "keyword");
        var runs = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs");
        var cases = new (string Query, int Position)[]
        {
            ("CustomerId=", 11),
            ("Region = ", 9),
            ("Region = 'open", 9),
            ("Region = 'x'; DROP TABLE workflow_runs; --", 12),
            ("Region = 'x' OR 1=1", 16),
            ("Unknown > 'x'", 0),
            ("Region > 'a'", 0),
            ("\"", 0),
            ("Region IN ('a',)", 15),
            ("((((Region = 'a'", 16),
            ("Region = 'a' AND (", 18),
            ("Region = '" + new string('\'', 200), 209),
            (new string('(', 5000) + "Region = 'a'" + new string(')', 5000), 4096),
            (new string('(', 100) + "Region = 'a'" + new string(')', 100), 16),
            ("Region = '" + new string('x', 10_000) + "'", 4096),
            ("Region = 'a'\\", 12),
            ("Region = 'a' -- comment", 13),
        };

        foreach (var (query, position) in cases)
        {
            using var response = await client.GetAsync($"/api/workflows?query={Uri.EscapeDataString(query)}");
            var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "invalid_query");
            Assert.True(position == (int)error["position"]!, $"{query[..Math.Min(40, query.Length)]}: {error.ToJsonString()[..Math.Min(300, error.ToJsonString().Length)]}");
            Assert.StartsWith($"Invalid query at position {position}: ", (string?)error["message"], StringComparison.Ordinal);
            Assert.Equal((string?)error["message"], (string?)error["errors"]!["query"]![0]);
            Assert.NotNull(error["control_plane"]);
        }

        var substring = new string('a', 10_000);
        using (var tooLong = await client.GetAsync($"/api/workflows?query={substring}"))
        {
            Assert.Equal(4096, (int)(await HttpAssert.ErrorAsync(tooLong, (HttpStatusCode)422, "invalid_query"))["position"]!);
        }

        Assert.Equal(runs, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs"));
    }

    [Fact]
    public async Task start_values_must_have_the_defined_type()
    {
        using var client = server.ControlClient();
        await DefineAsync(client, "Quantity", "int");
        await DefineAsync(client, "Due", "datetime");
        var before = await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs");

        using var response = await client.PostAsync("/api/workflows", ServerFactory.Json(
            """{"workflow_type":"typed","workflow_id":"typed-bad","search_attributes":{"Quantity":"seven","Due":"soon","Free":{"any":"thing"}}}"""));

        var error = await HttpAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.Equal(
            """["The search attribute [Quantity] must be of type int.","The search attribute [Due] must be of type datetime."]""",
            error["errors"]!["search_attributes"]!.ToJsonString());
        Assert.Equal(before, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_instances WHERE id = 'typed-bad'"));

        await StartAsync(client, new JsonObject
        {
            ["workflow_type"] = "typed", ["workflow_id"] = "typed-ok",
            ["search_attributes"] = new JsonObject { ["Quantity"] = 7, ["Due"] = "2026-01-01T00:00:00Z", ["Free"] = new JsonObject { ["any"] = "thing" } },
        });
        Assert.Equal(
            "Due=2026-01-01 00:00:00+00,Quantity=7",
            await database.ScalarAsync<string>(
                """
                SELECT string_agg(v.name || '=' || coalesce(v.keyword_value, v.number_value::text, v.time_value AT TIME ZONE 'UTC' || '+00'), ',' ORDER BY v.name)
                  FROM workflow_search_attribute_values v JOIN workflow_runs r ON r.id = v.run_id WHERE r.workflow_instance_id = 'typed-ok'
                """));
    }

    [Fact]
    public async Task defining_an_attribute_makes_existing_values_filterable_and_deleting_it_removes_them()
    {
        using var client = server.ControlClient();
        var type = $"late-{Guid.NewGuid():N}";
        await StartAsync(client, Run("late-1", type, """{"Color":"green"}"""));
        await StartAsync(client, Run("late-2", type, """{"Color":42}"""));

        // Undefined: equality still answers from the raw values, without an index; ordering needs a definition.
        Assert.Equal(["late-1"], Ids(await ListAsync(client, $"workflow_type={type}&query={Uri.EscapeDataString("Color = 'green'")}")));
        Assert.Equal(["late-2"], Ids(await ListAsync(client, $"workflow_type={type}&query={Uri.EscapeDataString("Color IN (42, 'blue')")}")));
        using (var unknown = await client.GetAsync($"/api/workflows?workflow_type={type}&query={Uri.EscapeDataString("Color > 'a'")}"))
        {
            Assert.Contains("[Color] is not defined", (string?)(await HttpAssert.ErrorAsync(unknown, (HttpStatusCode)422, "invalid_query"))["message"], StringComparison.Ordinal);
        }

        await DefineAsync(client, "Color", "keyword");
        Assert.Equal(["late-1"], Ids(await ListAsync(client, $"workflow_type={type}&query={Uri.EscapeDataString("Color = 'green'")}")));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_search_attribute_values WHERE name = 'Color'"));

        using (var deleted = await client.DeleteAsync("/api/search-attributes/Color"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_search_attribute_values WHERE name = 'Color'"));
        Assert.Equal("green", await database.ScalarAsync<string>("SELECT search_attributes->>'Color' FROM workflow_runs WHERE workflow_instance_id = 'late-1'"));
    }

    [Fact]
    public async Task upsert_search_attributes_is_type_checked_and_filterable()
    {
        using var control = server.ControlClient();
        await DefineAsync(control, "Stage", "keyword");
        await DefineAsync(control, "Attempts", "int");
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync("upserting", new JsonObject { ["search_attributes"] = new JsonObject { ["Stage"] = "new", ["Attempts"] = 0 } });
        var runId = (string)started["run_id"]!;

        var task = await h.PollAsync();
        var refused = await h.CompleteAsync(task, HttpStatusCode.Conflict,
            new JsonObject { ["type"] = "upsert_search_attributes", ["attributes"] = new JsonObject { ["Attempts"] = "three" } },
            new JsonObject { ["type"] = "start_timer", ["delay_seconds"] = 3600 });
        Assert.Equal("invalid_commands", (string?)refused["reason"]);
        Assert.Contains("[Attempts] must be of type int", (string?)refused["message"], StringComparison.Ordinal);
        Assert.Equal("""{"Stage": "new", "Attempts": 0}""", await database.ScalarAsync<string>($"SELECT search_attributes::text FROM workflow_runs WHERE id = '{runId}'"));

        await h.CompleteAsync(task,
            new JsonObject { ["type"] = "upsert_search_attributes", ["attributes"] = new JsonObject { ["Stage"] = null, ["Attempts"] = 3 } },
            new JsonObject { ["type"] = "start_timer", ["delay_seconds"] = 3600 });

        Assert.Equal([h.Queue], (await ListAsync(control, $"query={Uri.EscapeDataString("Attempts = 3")}"))["workflows"]!.AsArray().Select(w => (string)w!["task_queue"]!));
        Assert.Empty(Ids(await ListAsync(control, $"query={Uri.EscapeDataString("Stage = 'new'")}")));
        Assert.Equal("Attempts:3", await database.ScalarAsync<string>($"SELECT string_agg(name || ':' || number_value, ',') FROM workflow_search_attribute_values WHERE run_id = '{runId}'"));
    }

    private static JsonObject Run(string id, string type, string attributes) =>
        new() { ["workflow_id"] = id, ["workflow_type"] = type, ["search_attributes"] = JsonNode.Parse(attributes) };

    private static async Task DefineAsync(HttpClient client, string name, string type)
    {
        using var response = await client.PostAsync("/api/search-attributes", ServerFactory.Json($$"""{"name":"{{name}}","type":"{{type}}"}"""));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
    }

    private static async Task StartAsync(HttpClient client, JsonObject body)
    {
        using var response = await client.PostAsync("/api/workflows", ServerFactory.Json(body.ToJsonString()));
        await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
    }

    private static async Task<JsonObject> ListAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/api/workflows?{query}");
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static List<string> Ids(JsonObject list) => [.. list["workflows"]!.AsArray().Select(w => (string)w!["workflow_id"]!)];
}
