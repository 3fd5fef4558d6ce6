using DurableWorkflow.Tests.Protocol;

namespace DurableWorkflow.Tests.Cli;

/// <summary><c>dw search-attribute:*</c> and <c>dw workflow:list --query</c> against a live server, checked against the official output schemas.</summary>
public sealed class CliSearchAttributeTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task define_start_with_an_attribute_list_by_query_and_delete()
    {
        var created = await RunAsync("search-attribute:create", "search-attribute:create", "CliCustomer", "keyword");
        Assert.Equal("created", created["outcome"]!.GetValue<string>());
        var listed = await RunAsync("search-attribute:list", "search-attribute:list");
        Assert.Equal("keyword", listed["custom_attributes"]!["CliCustomer"]!.GetValue<string>());
        Assert.Equal("datetime", listed["system_attributes"]!["StartTime"]!.GetValue<string>());

        foreach (var (id, customer) in new[] { ("cli-sa-1", "42"), ("cli-sa-2", "43") })
        {
            var start = await CliRun.InProcessAsync(Env, "workflow:start", "-t", "cli.sa", "-w", id, "--search-attr", $"CliCustomer={customer}", "--json");
            Assert.True(start.ExitCode == 0, start.ToString());
        }

        var found = await RunAsync("workflow:list", "workflow:list", "--query", "CliCustomer=\"42\"");
        Assert.Equal(["cli-sa-1"], found["workflows"]!.AsArray().Select(w => w!["workflow_id"]!.GetValue<string>()));

        var invalid = await CliRun.InProcessAsync(Env, "workflow:list", "--query", "CliCustomer=", "--json");
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("invalid_query", invalid.ToString(), StringComparison.Ordinal);

        var deleted = await RunAsync("search-attribute:delete", "search-attribute:delete", "CliCustomer");
        Assert.Equal("deleted", deleted["outcome"]!.GetValue<string>());
    }

    private async Task<System.Text.Json.Nodes.JsonNode> RunAsync(string schemaCommand, params string[] args)
    {
        var result = await CliRun.InProcessAsync(Env, [.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result}");
        var violations = OutputSchema.Violations(result.Json(), OutputSchema.ForCommand(schemaCommand));
        Assert.True(violations.Count == 0, $"{string.Join(' ', args)}: {string.Join("; ", violations)}");
        return result.Json();
    }
}
