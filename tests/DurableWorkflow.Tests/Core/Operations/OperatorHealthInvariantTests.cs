using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Operations;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Operations;

/// <summary>Rollout contract §14.2 invariants 40–41: which health checks may escalate to <c>error</c>.</summary>
public sealed class OperatorHealthInvariantTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private static readonly string[] MayError = ["backend_capabilities", "worker_compatibility"];

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Invariant_040_only_backend_capabilities_and_worker_compatibility_ever_report_error()
    {
        using var client = server.CreateClient();
        var metrics = await server.Services.GetRequiredService<OperatorMetricsReader>().ReadAsync("default", CancellationToken.None);

        // Every count and age at its worst, an uncovered required marker, and a backend that cannot take writes.
        var worst = Saturate(metrics.DeepClone()).AsObject();
        worst["workers"]!["required_compatibility"] = "build-2";
        worst["workers"]!["active_workers_supporting_required"] = 0;
        worst["backend"] = OperatorBackend.Describe(Settings(("DW_V2_MULTI_NODE", "true")), new DatabaseFacts(true, true, 90_000));
        var health = OperatorHealth.Evaluate(worst);
        var checks = health["checks"]!.AsArray().Select(c => c!.AsObject()).ToList();

        Assert.All(checks.Where(c => !MayError.Contains((string?)c["name"])), c => Assert.NotEqual("error", (string?)c["status"]));
        Assert.Equal("error", (string?)checks.Single(c => (string?)c["name"] == "backend_capabilities")["status"]);
        Assert.Equal("error", (string?)health["status"]);
        Assert.False((bool)health["healthy"]!);
        Assert.Equal(12, checks.Count);
        Assert.All(checks.Where(c => (string?)c["name"] is not "backend_capabilities" and not "long_poll_wake_acceleration" and not "history_retention_invariant"),
            c => Assert.NotEqual("ok", (string?)c["status"]));

        using var response = await server.ControlClient().GetAsync("/api/system/health");
        var live = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal((string?)live["status"] == "error" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual("error", (string?)live["status"]);
    }

    [Fact]
    public async Task Invariant_041_long_poll_wake_acceleration_never_reports_error()
    {
        using var client = server.CreateClient();
        var metrics = await server.Services.GetRequiredService<OperatorMetricsReader>().ReadAsync("default", CancellationToken.None);
        var statuses = new List<string>();

        foreach (var redis in new string?[] { null, "127.0.0.1:1" })
        {
            foreach (var multiNode in new[] { "true", "false" })
            {
                foreach (var mode in new[] { "silent", "warn", "fail" })
                {
                    foreach (var validate in new[] { "true", "false" })
                    {
                        var settings = Settings(
                            ("DW_REDIS_CONNECTION", redis), ("DW_V2_MULTI_NODE", multiNode),
                            ("DW_V2_CACHE_VALIDATION_MODE", mode), ("DW_V2_VALIDATE_CACHE_BACKEND", validate));
                        var document = metrics.DeepClone().AsObject();
                        document["backend"] = OperatorBackend.Describe(settings, new DatabaseFacts(true, false, 150_000));
                        var check = OperatorHealth.Evaluate(document)["checks"]!.AsArray()
                            .Single(c => (string?)c!["name"] == "long_poll_wake_acceleration")!;
                        statuses.Add((string)check["status"]!);
                        Assert.Equal("acceleration", (string?)check["category"]);
                    }
                }
            }
        }

        Assert.DoesNotContain("error", statuses);
        Assert.Contains("warning", statuses);
        Assert.Contains("ok", statuses);
    }

    /// <summary>Every number in the document becomes a large positive count.</summary>
    private static JsonNode Saturate(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Select(p => p.Key).ToList())
            {
                if (obj[key] is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
                {
                    obj[key] = 1_000_000;
                }
                else if (obj[key] is { } child)
                {
                    Saturate(child);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array.OfType<JsonNode>())
            {
                Saturate(child);
            }
        }

        return node;
    }

    private static ServerSettings Settings(params (string Key, string? Value)[] values)
    {
        var data = new Dictionary<string, string?> { ["DW_DB_CONNECTION"] = "Host=127.0.0.1;Database=dw" };
        foreach (var (key, value) in values)
        {
            data[key] = value;
        }

        return ServerSettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(data).Build());
    }
}
