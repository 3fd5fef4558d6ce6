using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Readiness;

internal static class Ready
{
    public static async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(HttpClient client, string path = "/api/ready")
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    public static Task EventuallyAsync(HttpClient client, HttpStatusCode expected, string path = "/api/ready") =>
        HttpAssert.EventuallyAsync(async () =>
        {
            var (status, body) = await GetAsync(client, path);
            return (status == expected, $"{(int)status} {body.ToJsonString()}");
        }, TimeSpan.FromSeconds(30));
}

public sealed class ReadinessBeforeBootstrapTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task an_empty_database_is_not_ready_until_bootstrap_runs()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.CreateClient();

        var (before, body) = await Ready.GetAsync(client);
        await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        var (after, afterBody) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before);
        Assert.Equal("not_ready", (string?)body["status"]);
        Assert.Equal("ok", (string?)body["checks"]!["database"]!["status"]);
        Assert.Equal("missing", (string?)body["checks"]!["migrations"]!["status"]);
        Assert.Contains(MigrationCatalog.JournalTable, body["checks"]!["migrations"]!["missing_tables"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("missing", (string?)body["checks"]!["default_namespace"]!["status"]);
        Assert.EndsWith("+00:00", (string?)body["timestamp"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.Equal("ready", (string?)afterBody["status"]);
        Assert.Equal(["status", "timestamp", "checks"], afterBody.Select(p => p.Key));
        Assert.Equal(["database", "migrations", "default_namespace", "cache", "auth", "workflow_v2"], afterBody["checks"]!.AsObject().Select(p => p.Key));
        Assert.Equal("default", (string?)afterBody["checks"]!["default_namespace"]!["namespace"]);
        Assert.Equal("memory", (string?)afterBody["checks"]!["cache"]!["store"]);
        Assert.Equal("token", (string?)afterBody["checks"]!["auth"]!["driver"]);
    }
}

public sealed class ReadinessSchemaDriftTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_pending_migration_makes_the_node_unready_until_bootstrap()
    {
        using var client = server.CreateClient();
        var last = MigrationCatalog.All[^1].Name;
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);

        await database.ExecuteAsync($"DELETE FROM {MigrationCatalog.JournalTable} WHERE scriptname = '{last}'");
        var (pending, body) = await Ready.GetAsync(client);
        await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        var (after, _) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, pending);
        Assert.Equal("pending", (string?)body["checks"]!["migrations"]!["status"]);
        Assert.Equal([last], body["checks"]!["migrations"]!["pending_migrations"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task a_missing_default_namespace_makes_the_node_unready_until_bootstrap()
    {
        using var client = server.CreateClient();
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);

        await database.ExecuteAsync("DELETE FROM workflow_namespaces WHERE name = 'default'");
        var (missing, body) = await Ready.GetAsync(client);
        await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        var (after, _) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, missing);
        Assert.Equal("missing", (string?)body["checks"]!["default_namespace"]!["status"]);
        Assert.Equal("default", (string?)body["checks"]!["default_namespace"]!["namespace"]);
        Assert.Equal("ok", (string?)body["checks"]!["migrations"]!["status"]);
        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task auth_without_any_token_is_reported_missing()
    {
        using var noTokens = new ServerFactory(new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = database.ConnectionString,
            ["DW_SCHEDULER_ENABLED"] = "false",
        });
        using var client = noTokens.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("missing", (string?)body["checks"]!["auth"]!["status"]);
    }

    [Fact]
    public async Task multi_node_without_a_shared_cache_is_not_ready()
    {
        using var multiNode = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_MULTI_NODE", "true"));
        using var client = multiNode.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("invalid", (string?)body["checks"]!["cache"]!["status"]);
        Assert.Equal("memory", (string?)body["checks"]!["cache"]!["store"]);
        Assert.False((bool)body["checks"]!["cache"]!["shared"]!);
    }
}

public sealed class ReadinessDatabaseOutageTests(PrivatePostgres postgres) : IClassFixture<PrivatePostgres>
{
    [Fact]
    public async Task ready_and_health_turn_503_while_postgres_is_down_and_recover_after_restart()
    {
        var connectionString = await postgres.CreateBootstrappedDatabaseAsync();
        using var server = ServerFactory.WithRoleTokens(connectionString);
        using var client = server.CreateClient();
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);

        await postgres.StopAsync();
        var (down, body) = await Ready.GetAsync(client);
        var (healthDown, healthBody) = await Ready.GetAsync(client, "/api/health");
        using var liveness = await client.GetAsync("/api/healthz");
        await postgres.StartAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        Assert.Equal("unavailable", (string?)body["checks"]!["database"]!["status"]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthDown);
        Assert.Equal("degraded", (string?)healthBody["status"]);
        Assert.Equal("unavailable", (string?)healthBody["checks"]!["database"]);
        Assert.Equal(HttpStatusCode.OK, liveness.StatusCode);
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);
        await Ready.EventuallyAsync(client, HttpStatusCode.OK, "/api/health");
    }
}

public sealed class ReadinessRedisOutageTests(PrivateRedis redis, BootstrappedDatabase database)
    : IClassFixture<PrivateRedis>, IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task ready_turns_503_while_redis_is_down_and_recovers_when_it_returns()
    {
        using var server = ServerFactory.WithRoleTokens(
            database.ConnectionString, ("DW_REDIS_CONNECTION", redis.ConnectionString), ("DW_V2_MULTI_NODE", "true"), ("DW_READY_CACHE_POLICY", "fatal"));
        using var client = server.CreateClient();
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);
        var (_, up) = await Ready.GetAsync(client);

        await redis.StopAsync();
        await Ready.EventuallyAsync(client, HttpStatusCode.ServiceUnavailable);
        var (_, down) = await Ready.GetAsync(client);
        await redis.StartAsync();

        Assert.Equal("redis", (string?)up["checks"]!["cache"]!["store"]);
        Assert.True((bool)up["checks"]!["cache"]!["shared"]!);
        Assert.Equal("unavailable", (string?)down["checks"]!["cache"]!["status"]);
        Assert.Equal("ok", (string?)down["checks"]!["database"]!["status"]);
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);
    }

    [Fact]
    public async Task with_the_warning_policy_a_redis_outage_keeps_the_node_ready()
    {
        using var server = ServerFactory.WithRoleTokens(
            database.ConnectionString,
            ("DW_REDIS_CONNECTION", redis.ConnectionString),
            ("DW_READY_CACHE_POLICY", "warning"));
        using var client = server.CreateClient();
        await Ready.EventuallyAsync(client, HttpStatusCode.OK);

        await redis.StopAsync();
        var (status, body) = await Ready.GetAsync(client);
        await redis.StartAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("warning", (string?)body["checks"]!["cache"]!["status"]);
        Assert.Equal("database", (string?)body["checks"]!["cache"]!["correctness_substrate"]);
        Assert.Equal("long_poll_wake_acceleration", (string?)body["checks"]!["cache"]!["degraded_capability"]);
    }
}
