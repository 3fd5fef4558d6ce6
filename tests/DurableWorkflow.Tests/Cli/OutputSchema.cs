using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// The official CLI's <c>--json</c> output schemas (shared/fixtures/cli-json-envelopes) and a checker for the subset
/// of JSON Schema they use on these commands: <c>type</c>, <c>required</c>, <c>properties</c>, <c>items</c>,
/// <c>enum</c>, <c>minimum</c>, <c>additionalProperties: false</c>. Returns every violation with its JSON path.
/// </summary>
public static class OutputSchema
{
    public static JsonObject ForCommand(string command)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(SharedFixtures.Root, "cli-json-envelopes", "manifest.json")))!;
        var schemaPath = manifest["commands"]![command]!["schema"]!.GetValue<string>();
        return JsonNode.Parse(File.ReadAllText(Path.Combine(SharedFixtures.Root, "cli-json-envelopes", "schemas", Path.GetFileName(schemaPath))))!.AsObject();
    }

    public static List<string> Violations(JsonNode? value, JsonObject schema, string path = "$")
    {
        var problems = new List<string>();
        Check(value, schema, path, problems);
        return problems;
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> problems)
    {
        if (schema["type"] is { } type && !TypeMatches(value, type))
        {
            problems.Add($"{path}: expected {type.ToJsonString()}, got {Kind(value)}");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            problems.Add($"{path}: {value?.ToJsonString()} not in {allowed.ToJsonString()}");
        }

        if (schema["minimum"] is JsonValue minimum && value is JsonValue number && number.GetValueKind() == JsonValueKind.Number
            && number.GetValue<decimal>() < minimum.GetValue<decimal>())
        {
            problems.Add($"{path}: {number} below minimum {minimum}");
        }

        if (value is JsonObject map)
        {
            foreach (var key in (schema["required"] as JsonArray ?? []).Select(k => k!.GetValue<string>()))
            {
                if (!map.ContainsKey(key))
                {
                    problems.Add($"{path}: missing required '{key}'");
                }
            }

            var properties = schema["properties"] as JsonObject ?? [];
            foreach (var (key, child) in map)
            {
                if (properties[key] is JsonObject childSchema)
                {
                    Check(child, childSchema, $"{path}.{key}", problems);
                }
                else if (schema["additionalProperties"] is JsonValue extra && extra.GetValueKind() == JsonValueKind.False)
                {
                    problems.Add($"{path}: unexpected '{key}'");
                }
            }
        }

        if (value is JsonArray list && schema["items"] is JsonObject itemSchema)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Check(list[i], itemSchema, $"{path}[{i}]", problems);
            }
        }
    }

    private static bool TypeMatches(JsonNode? value, JsonNode type) => type switch
    {
        JsonArray types => types.Any(t => TypeMatches(value, t!)),
        _ => type.GetValue<string>() switch
        {
            "null" => value is null,
            "object" => value is JsonObject,
            "array" => value is JsonArray,
            "string" => value is JsonValue s && s.GetValueKind() == JsonValueKind.String,
            "boolean" => value is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "integer" => value is JsonValue i && i.GetValueKind() == JsonValueKind.Number && i.GetValue<decimal>() % 1 == 0,
            "number" => value is JsonValue n && n.GetValueKind() == JsonValueKind.Number,
            _ => true,
        },
    };

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind().ToString().ToLowerInvariant(),
    };
}
