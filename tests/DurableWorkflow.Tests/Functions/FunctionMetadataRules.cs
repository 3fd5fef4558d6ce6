using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Functions.Routes;
using DurableWorkflow.Functions.Scheduling;

namespace DurableWorkflow.Tests.Functions;

/// <summary>What the generated metadata must say for the route table, and the rules the Functions host enforces.</summary>
public static class FunctionMetadataRules
{
    public static void AssertMatchesRouteTable(IReadOnlyList<FunctionShape> functions)
    {
        Assert.Equal(functions.Count, functions.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ApiRoutes.All.Count + 2, functions.Count);

        foreach (var route in ApiRoutes.All)
        {
            var function = Assert.Single(functions, f => f.Name == route.Name);
            Assert.Equal("httpTrigger", function.TriggerType);
            Assert.Equal(route.Template, function.Route);
            Assert.Equal(route.Methods.Select(m => m.ToLowerInvariant()), function.Methods);
            Assert.Equal("anonymous", function.AuthLevel?.ToLowerInvariant());
        }

        var fallback = Assert.Single(functions, f => f.Name == NotFoundFunction.Name);
        Assert.Equal("httpTrigger", fallback.TriggerType);
        Assert.Equal("{*path}", fallback.Route);
        Assert.Empty(fallback.Methods);
        Assert.Equal("anonymous", fallback.AuthLevel?.ToLowerInvariant());

        var timer = Assert.Single(functions, f => f.Name == SchedulerTickFunction.Name);
        Assert.Equal("timerTrigger", timer.TriggerType);
        Assert.Equal("%SCHEDULER_CRON%", (string?)timer.Trigger["schedule"]);
        Assert.False((bool)timer.Trigger["runOnStartup"]!);
        Assert.True((bool)timer.Trigger["useMonitor"]!);

        // The host reserves /admin for itself, and refuses two functions on one route and method.
        var http = functions.Where(f => f.IsHttp).ToList();
        Assert.All(http, f => Assert.False(f.Route!.StartsWith("admin", StringComparison.OrdinalIgnoreCase), $"{f.Name} routes under admin"));
        var pairs = http.SelectMany(f => f.Methods.Count == 0 ? ["*"] : f.Methods.Select(m => m.ToLowerInvariant()), (f, m) => (f.Route, Method: m)).ToList();
        Assert.Equal(pairs.Count, pairs.Distinct().Count());

        // Platform probes send HEAD to the GET probes.
        var probes = ApiRoutes.All.Where(r => r.Policy == RoutePolicy.Probe && r.Method == "GET").ToList();
        Assert.NotEmpty(probes);
        Assert.All(probes, r => Assert.Contains("head", functions.Single(f => f.Name == r.Name).Methods));
    }
}
