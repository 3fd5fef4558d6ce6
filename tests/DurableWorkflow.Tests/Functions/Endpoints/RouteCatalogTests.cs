using System.Text.Json.Nodes;
using DurableWorkflow.Functions.Endpoints;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Functions.Endpoints;

/// <summary>
/// Under the Functions host only paths that the catch-all HTTP function forwards reach the app. Every API route must
/// therefore sit below the host's route prefix; the only others are the host's own calls.
/// </summary>
public sealed class RouteCatalogTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    private static readonly string[] HostOnlyRoutes = ["/", SchedulerTickEndpoint.Path];

    [Fact]
    public void every_mapped_route_is_reachable_through_the_catch_all_function()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")))!;
        var function = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "functions", "api", "function.json")))!;
        var prefix = (string?)hostJson["extensions"]!["http"]!["routePrefix"];
        var trigger = function["bindings"]!.AsArray().Single(b => (string?)b!["type"] == "httpTrigger")!;
        Assert.Equal("api", prefix);
        Assert.Equal("{*rest}", (string?)trigger["route"]);
        Assert.Equal("anonymous", (string?)trigger["authLevel"]);
        Assert.Null(trigger["methods"]);

        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        var patterns = server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Distinct()
            .ToList();

        Assert.Contains("/api/ready", patterns);
        Assert.Contains("/api/namespaces/{namespace}", patterns);
        foreach (var pattern in patterns.Where(p => !HostOnlyRoutes.Contains(p)))
        {
            Assert.StartsWith($"/{prefix}/", pattern, StringComparison.Ordinal);
            var forwarded = $"/{prefix}/" + pattern[(prefix!.Length + 2)..];
            Assert.Equal(pattern, forwarded);
        }

        Assert.Contains(SchedulerTickEndpoint.Path, patterns);
        Assert.True(Directory.Exists(Path.Combine(TestEnvironment.RepoRoot, "functions", SchedulerTickEndpoint.Path.Trim('/'))),
            "the timer function folder name must equal the path the host posts to");
    }
}
