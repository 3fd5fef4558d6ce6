using System.CommandLine;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>namespace:list|describe|create|update|delete|set-storage-driver</c> (spec §3).</summary>
public static class NamespaceCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return ServerCommand.Create(io, "namespace:list", "List namespaces", c => c.PrintAsync(HttpMethod.Get, "namespaces"));

        var describeName = Name();
        yield return ServerCommand.Create(io, "namespace:describe", "Describe a namespace",
            c => c.PrintAsync(HttpMethod.Get, $"namespaces/{CommandContext.Segment(c.Required(describeName))}"), Preflight.Control, describeName);

        var createName = Name();
        var createDescription = new Option<string?>("--description", "-d") { Description = "Description" };
        var createRetention = new Option<int?>("--retention", "-r") { Description = "History retention in days (default 30)" };
        yield return ServerCommand.Create(io, "namespace:create", "Create a namespace", c =>
            c.PrintAsync(HttpMethod.Post, "namespaces", body: new JsonObject
            {
                ["name"] = c.Required(createName),
                ["description"] = c.Get(createDescription),
                ["retention_days"] = c.Get(createRetention) ?? 30,
            }), Preflight.Control, createName, createDescription, createRetention);

        var updateName = Name();
        var updateDescription = new Option<string?>("--description", "-d") { Description = "New description" };
        var updateRetention = new Option<int?>("--retention", "-r") { Description = "New history retention in days" };
        yield return ServerCommand.Create(io, "namespace:update", "Update a namespace", c =>
        {
            var body = new JsonObject().Put("description", c.Get(updateDescription)).Put("retention_days", c.Get(updateRetention));
            return body.Count == 0
                ? throw CliException.Invalid("Nothing to update: give --description and/or --retention.")
                : c.PrintAsync(HttpMethod.Put, $"namespaces/{CommandContext.Segment(c.Required(updateName))}", body: body);
        }, Preflight.Control, updateName, updateDescription, updateRetention);

        var deleteName = Name();
        yield return ServerCommand.Create(io, "namespace:delete", "Delete a namespace",
            c => c.PrintAsync(HttpMethod.Delete, $"namespaces/{CommandContext.Segment(c.Required(deleteName))}"), Preflight.Control, deleteName);

        yield return SetStorageDriver(io);
    }

    private static Argument<string> Name() => new("name") { Description = "Namespace name" };

    private static Command SetStorageDriver(CliIo io)
    {
        var name = Name();
        var driver = new Argument<string>("driver") { Description = "Storage driver (local, azure, s3, gcs, ...)" };
        var threshold = new Option<int?>("--threshold-bytes") { Description = "Payloads above this size go to external storage" };
        var config = new[] { "uri", "disk", "bucket", "prefix", "region", "endpoint", "auth-profile" }
            .Select(k => new Option<string?>($"--{k}") { Description = $"Driver config '{k.Replace('-', '_')}'" })
            .ToArray();
        var disable = new Option<bool>("--disable") { Description = "Store the policy disabled" };
        return ServerCommand.Create(io, "namespace:set-storage-driver", "Set a namespace's external payload storage policy", c =>
        {
            var settings = new JsonObject();
            foreach (var option in config)
            {
                settings.Put(option.Name.TrimStart('-').Replace('-', '_'), c.Get(option));
            }

            var body = new JsonObject { ["driver"] = c.Required(driver), ["enabled"] = !c.Get(disable) }
                .Put("threshold_bytes", c.Get(threshold))
                .Put("config", settings.Count == 0 ? null : settings);
            return c.PrintAsync(HttpMethod.Put, $"namespaces/{CommandContext.Segment(c.Required(name))}/external-storage", body: body);
        }, Preflight.Control, [name, driver, threshold, .. config, disable]);
    }
}
