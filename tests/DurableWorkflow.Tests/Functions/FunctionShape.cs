using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Functions;

/// <summary>
/// One function's trigger as the Functions host reads it: from <c>functions.metadata</c> on disk or from the raw
/// bindings the worker returns in <c>FunctionMetadataResponse</c> (the same JSON either way).
/// </summary>
public sealed record FunctionShape(string Name, string TriggerType, string? Route, IReadOnlyList<string> Methods, string? AuthLevel, JsonObject Trigger)
{
    public bool IsHttp => TriggerType == "httpTrigger";

    /// <summary>
    /// The trigger binding with its keys sorted and an empty <c>properties</c> bag dropped (the build writes one, the
    /// worker's generated provider does not), so both sources compare equal when they say the same thing.
    /// </summary>
    public string Canonical => Sorted(Trigger)!.ToJsonString();

    public static FunctionShape From(string name, IEnumerable<JsonObject> bindings)
    {
        var trigger = bindings.Single(b => ((string)b["type"]!).EndsWith("Trigger", StringComparison.Ordinal));
        var methods = trigger["methods"] is JsonArray list ? list.Select(m => (string)m!).ToList() : [];
        return new FunctionShape(name, (string)trigger["type"]!, (string?)trigger["route"], methods, (string?)trigger["authLevel"], trigger);
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .Where(p => !(p.Key == "properties" && p.Value is JsonObject { Count: 0 }))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    public static IReadOnlyList<FunctionShape> FromMetadataFile(string path) =>
        [.. JsonNode.Parse(File.ReadAllText(path))!.AsArray()
            .Select(f => From((string)f!["name"]!, f["bindings"]!.AsArray().Select(b => b!.AsObject())))];
}
