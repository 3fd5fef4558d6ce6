using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>
/// The cluster-info checks the Python SDK makes before a worker starts (worker-protocol §8.1; sdk-python
/// <c>client.py</c> and <c>auth_composition.py</c>), addressed by dotted path, collecting every violation.
/// </summary>
public sealed class ClusterInfoChecks(JsonObject info)
{
    public List<string> Violations { get; } = [];

    public void Equal(string path, string expected) =>
        Check(path, node => node is JsonValue v && v.TryGetValue<string>(out var text) && text == expected, $"\"{expected}\"");

    /// <summary>Python accepts the integer 1 or the digit string "1".</summary>
    public void One(string path) =>
        Check(path, node => node is JsonValue v && ((v.TryGetValue<int>(out var number) && number == 1) || (v.TryGetValue<string>(out var text) && text == "1")), "1");

    public void StringList(string path) =>
        Check(path, node => node is JsonArray list && list.All(item => item is JsonValue v && v.TryGetValue<string>(out _)), "a list of strings");

    public void Contains(string path, params string[] required) =>
        Check(path, node => node is JsonArray list && required.All(r => list.Any(item => item is JsonValue v && v.TryGetValue<string>(out var text) && text == r)),
            $"a list containing {string.Join(", ", required)}");

    public void Check(string path, Func<JsonNode?, bool> accept, string expected)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(accept);
        JsonNode? node = info;
        foreach (var segment in path.Split('.'))
        {
            node = node is JsonObject parent ? parent[segment] : null;
        }

        if (!accept(node))
        {
            Violations.Add($"  {path}: expected {expected}, got {node?.ToJsonString() ?? "<absent>"}");
        }
    }
}
