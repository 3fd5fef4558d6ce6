using System.Text.RegularExpressions;

namespace DurableWorkflow.Tests.Infra;

/// <summary>
/// Reads the block-mapping subset of YAML that azure.yaml uses ("key: value" nested by indentation) into dotted paths,
/// e.g. services.api.project = ./functions. No YAML library is available; sequences and flow styles are rejected.
/// </summary>
internal static partial class FlatYaml
{
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var stack = new List<(int Indent, string Key)>();
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var match = KeyValue().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"azure.yaml line {lineNumber} is outside the supported subset: '{line}'");
            }

            var indent = match.Groups["indent"].Value.Length;
            var key = match.Groups["key"].Value;
            var value = StripComment(match.Groups["value"].Value).Trim().Trim('"', '\'');
            stack.RemoveAll(entry => entry.Indent >= indent);
            stack.Add((indent, key));
            var path = string.Join('.', stack.Select(entry => entry.Key));
            if (!result.TryAdd(path, value))
            {
                throw new FormatException($"azure.yaml line {lineNumber}: duplicate key {path}");
            }
        }

        return result;
    }

    private static string StripComment(string value)
    {
        var hash = value.IndexOf(" #", StringComparison.Ordinal);
        return hash >= 0 ? value[..hash] : value;
    }

    [GeneratedRegex(@"^(?<indent> *)(?<key>[A-Za-z0-9_.-]+):(?:\s+(?<value>.*))?$")]
    private static partial Regex KeyValue();
}
