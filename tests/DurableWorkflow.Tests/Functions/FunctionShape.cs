using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Functions;

/// <summary>
/// One function's trigger as the Functions host reads it: from <c>functions.metadata</c> on disk or from the raw
/// bindings the worker returns in <c>FunctionMetadataResponse</c> (the same JSON either way).
/// </summary>
public sealed record FunctionShape(string Name, string TriggerType, string? Route, IReadOnlyList<string> Methods, string? AuthLevel, JsonObject Trigger)
{
    public bool IsHttp => TriggerType == "httpTrigger";

    public static FunctionShape From(string name, IEnumerable<JsonObject> bindings)
    {
        var trigger = bindings.Single(b => ((string)b["type"]!).EndsWith("Trigger", StringComparison.Ordinal));
        var methods = trigger["methods"] is JsonArray list ? list.Select(m => (string)m!).ToList() : [];
        return new FunctionShape(name, (string)trigger["type"]!, (string?)trigger["route"], methods, (string?)trigger["authLevel"], trigger);
    }

    public static IReadOnlyList<FunctionShape> FromMetadataFile(string path) =>
        [.. JsonNode.Parse(File.ReadAllText(path))!.AsArray()
            .Select(f => From((string)f!["name"]!, f["bindings"]!.AsArray().Select(b => b!.AsObject())))];
}
