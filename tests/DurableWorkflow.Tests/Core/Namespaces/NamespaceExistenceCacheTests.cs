using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Namespaces;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Namespaces;

/// <summary>The per-node namespace existence cache: positive answers only, for <c>DW_NAMESPACE_CACHE_SECONDS</c>.</summary>
public sealed class NamespaceExistenceCacheTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IAsyncLifetime
{
    private NpgsqlDataSource dataSource = null!;

    public Task InitializeAsync()
    {
        dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await dataSource.DisposeAsync();

    [Fact]
    public async Task a_namespace_created_on_node_B_is_found_on_node_A_right_after_A_answered_404_for_it()
    {
        using var nodeA = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var nodeB = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var onA = nodeA.ControlClient(@namespace: "created-on-b");
        using var adminOnB = nodeB.ControlClient();

        using var before = await onA.GetAsync("/api/workflows");
        using var created = await adminOnB.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"created-on-b"}"""));
        using var after = await onA.GetAsync("/api/workflows");

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal("namespace_not_found", (string?)JsonNode.Parse(await before.Content.ReadAsStringAsync())!["reason"]);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task a_found_namespace_is_trusted_for_its_ttl_and_asked_again_after_it()
    {
        var clock = new FakeTimeProvider();
        var cache = new NamespaceExistenceCache(new NamespaceRepository(dataSource, clock), Settings(30), clock);
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('cached-ns')");

        var found = await cache.ExistsAsync("cached-ns", CancellationToken.None);
        await database.ExecuteAsync("DELETE FROM workflow_namespaces WHERE name = 'cached-ns'");
        var withinTtl = await cache.ExistsAsync("cached-ns", CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(31));
        var afterTtl = await cache.ExistsAsync("cached-ns", CancellationToken.None);

        Assert.True(found);
        Assert.True(withinTtl);
        Assert.False(afterTtl);
    }

    [Fact]
    public async Task a_missing_namespace_is_never_cached_and_a_zero_ttl_caches_nothing()
    {
        var clock = new FakeTimeProvider();
        var repository = new NamespaceRepository(dataSource, clock);
        var cache = new NamespaceExistenceCache(repository, Settings(30), clock);
        var off = new NamespaceExistenceCache(repository, Settings(0), clock);

        var missing = await cache.ExistsAsync("late-ns", CancellationToken.None);
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('late-ns')");
        var created = await cache.ExistsAsync("late-ns", CancellationToken.None);
        var offFound = await off.ExistsAsync("late-ns", CancellationToken.None);
        await database.ExecuteAsync("DELETE FROM workflow_namespaces WHERE name = 'late-ns'");
        var offAfterDelete = await off.ExistsAsync("late-ns", CancellationToken.None);

        Assert.False(missing);
        Assert.True(created);
        Assert.True(offFound);
        Assert.False(offAfterDelete);
    }

    private ServerSettings Settings(int cacheSeconds) => ServerSettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(
        new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = database.ConnectionString,
            ["DW_NAMESPACE_CACHE_SECONDS"] = cacheSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build());
}
