using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Workflows;

/// <summary>The integrity checksum of history export bundles (control-plane spec §5.2 <c>integrity</c>).</summary>
public static class WorkflowReadIntegrity
{
    public const string Canonicalization = "json-recursive-ksort-v1";

    /// <summary>Lower-case hex SHA-256 of the canonical form of a bundle that has no <c>integrity</c> key yet.</summary>
    public static string Checksum(JsonNode bundle) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson(bundle))));

    /// <summary>
    /// The engine's <c>json-recursive-ksort-v1</c> form: PHP's <c>json_encode</c> (unescaped slashes, <c>\uXXXX</c> for
    /// non-ASCII) of the bundle as PHP decodes it, objects key-sorted recursively. PHP decodes <c>{}</c> to an empty array,
    /// so an empty object is written <c>[]</c>. Numbers are written as stored; the bundle's own numbers are integers.
    /// </summary>
    public static string CanonicalJson(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject { Count: 0 }:
            case JsonArray { Count: 0 }:
                builder.Append("[]");
                break;
            case JsonObject map:
                builder.Append('{');
                var firstKey = true;
                foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    builder.Append(firstKey ? string.Empty : ",");
                    firstKey = false;
                    WriteString(builder, key);
                    builder.Append(':');
                    Write(builder, value);
                }

                builder.Append('}');
                break;
            case JsonArray list:
                builder.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ",");
                    Write(builder, list[i]);
                }

                builder.Append(']');
                break;
            default:
                if (node.GetValueKind() == JsonValueKind.String)
                {
                    WriteString(builder, node.GetValue<string>());
                }
                else
                {
                    builder.Append(node.ToJsonString());
                }

                break;
        }
    }

    private static void WriteString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case < ' ' or > '\u007f':
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
    }
}
