using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Functions;

/// <summary>The metadata the worker SDK generated at build time, which the Functions host indexes the app by.</summary>
public sealed class FunctionMetadataTests
{
    private static string AppRoot => Path.GetDirectoryName(TestEnvironment.FunctionsAssembly)!;

    [Fact]
    public void functions_metadata_lists_one_http_function_per_route_plus_the_timer_and_the_fallback()
    {
        var functions = FunctionShape.FromMetadataFile(Path.Combine(AppRoot, "functions.metadata"));

        FunctionMetadataRules.AssertMatchesRouteTable(functions);
    }

    [Fact]
    public void the_app_root_holds_what_the_host_needs_and_no_function_json()
    {
        Assert.True(File.Exists(Path.Combine(AppRoot, "worker.config.json")), "worker.config.json missing");
        Assert.True(File.Exists(Path.Combine(AppRoot, "extensions.json")), "extensions.json missing");
        Assert.True(Directory.Exists(Path.Combine(AppRoot, ".azurefunctions")), ".azurefunctions missing");
        Assert.Empty(Directory.GetFiles(AppRoot, "function.json", SearchOption.AllDirectories));

        var host = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppRoot, "host.json")))!;
        Assert.Equal("api", (string?)host["extensions"]!["http"]!["routePrefix"]);
        Assert.Null(host["customHandler"]);
    }
}
