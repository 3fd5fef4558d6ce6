using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Commands;

/// <summary>Small helpers for request bodies: keys set only when the flag was given.</summary>
public static class BodyBuilder
{
    public static JsonObject Put(this JsonObject body, string key, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (value is not null)
        {
            body[key] = value;
        }

        return body;
    }

    public static JsonObject Put(this JsonObject body, string key, string? value) => body.Put(key, value is null ? null : JsonValue.Create(value));

    public static JsonObject Put(this JsonObject body, string key, int? value) => body.Put(key, value is null ? null : JsonValue.Create(value.Value));

    public static JsonObject Put(this JsonObject body, string key, IReadOnlyCollection<string>? values) =>
        body.Put(key, values is null || values.Count == 0 ? null : new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]));
}
