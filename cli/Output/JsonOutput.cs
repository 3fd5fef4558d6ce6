using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli;

/// <summary>JSON as the official CLI writes it: one line, slashes and non-ASCII left unescaped.</summary>
public static class JsonOutput
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public static string Line(JsonNode? node) => node?.ToJsonString(Options) ?? "null";
}
