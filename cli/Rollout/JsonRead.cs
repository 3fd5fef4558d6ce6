using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>Reads keys by dotted name from server documents, telling a missing key from a null one.</summary>
public static class JsonRead
{
    public static bool TryGet(JsonNode? root, string dotted, out JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(dotted);
        value = root;
        foreach (var part in dotted.Split('.'))
        {
            if (value is not JsonObject map || !map.TryGetPropertyValue(part, out value))
            {
                value = null;
                return false;
            }
        }

        return true;
    }

    public static long? Number(JsonNode? root, string dotted) =>
        TryGet(root, dotted, out var value) && value is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<long>() : null;

    public static string? Text(JsonNode? root, string dotted) =>
        TryGet(root, dotted, out var value) && value is JsonValue v ? v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString() : null;

    public static string Show(long? number) => number?.ToString(CultureInfo.InvariantCulture) ?? "not exposed";
}
