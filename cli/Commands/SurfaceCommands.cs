using System.CommandLine;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Commands;

/// <summary>The official CLI's remaining control-plane commands: search attributes, storage test, bridge webhook.</summary>
public static class SurfaceCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return ServerCommand.Create(io, "search-attribute:list", "List search attributes", c => c.PrintAsync(HttpMethod.Get, "search-attributes"));

        var createName = new Argument<string>("name") { Description = "Attribute name" };
        var createType = new Argument<string>("type") { Description = "Attribute type (keyword, text, int, double, bool, datetime, ...)" };
        yield return ServerCommand.Create(io, "search-attribute:create", "Define a search attribute",
            c => c.PrintAsync(HttpMethod.Post, "search-attributes", body: new JsonObject { ["name"] = c.Required(createName), ["type"] = c.Required(createType) }),
            Preflight.Control, createName, createType);

        var deleteName = new Argument<string>("name") { Description = "Attribute name" };
        yield return ServerCommand.Create(io, "search-attribute:delete", "Delete a search attribute",
            c => c.PrintAsync(HttpMethod.Delete, $"search-attributes/{CommandContext.Segment(c.Required(deleteName))}"), Preflight.Control, deleteName);

        var driver = new Option<string?>("--driver") { Description = "Storage driver to test (default: the namespace's)" };
        var small = new Option<int?>("--small-bytes") { Description = "Small payload size (default 128)" };
        var large = new Option<int?>("--large-bytes") { Description = "Large payload size (default 2097152)" };
        yield return ServerCommand.Create(io, "storage:test", "Round-trip test payloads through external storage",
            c => c.PrintAsync(HttpMethod.Post, "storage/test", body: new JsonObject
            {
                ["small_payload_bytes"] = c.Get(small) ?? 128,
                ["large_payload_bytes"] = c.Get(large) ?? 2097152,
            }.Put("driver", c.Get(driver))),
            Preflight.Control, driver, small, large);

        var adapter = new Argument<string>("adapter") { Description = "Bridge adapter name" };
        var action = new Option<string>("--action") { Description = "start_workflow, signal_workflow or update_workflow", Required = true };
        var key = new Option<string>("--idempotency-key") { Description = "Provider event idempotency key", Required = true };
        var target = new Option<string>("--target") { Description = "Target (JSON object)", Required = true };
        var correlation = new Option<string?>("--correlation") { Description = "Correlation (JSON object)" };
        var input = new InputOptions();
        yield return ServerCommand.Create(io, "bridge:webhook", "Deliver a bridge adapter webhook event", c =>
            c.PrintAsync(HttpMethod.Post, $"bridge-adapters/webhook/{CommandContext.Segment(c.Required(adapter))}", body: new JsonObject
            {
                ["action"] = c.Get(action),
                ["idempotency_key"] = c.Get(key),
                ["target"] = InputOptions.ParseJson(c.Get(target)!, "--target"),
            }.Put("input", input.Read(c, wrapInArray: false)).Put("correlation", c.Get(correlation) is { } json ? InputOptions.ParseJson(json, "--correlation") : null)),
            Preflight.Control, [adapter, action, key, target, correlation, .. input.Symbols]);
    }
}
