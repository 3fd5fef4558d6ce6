using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// <c>--input/-i</c>, <c>--input-file</c> (<c>-</c> = stdin) and <c>--input-encoding json|raw|base64</c>; the decoded
/// value is sent as a JSON array, scalars and objects wrapped (spec §13.6).
/// </summary>
public sealed class InputOptions
{
    public Option<string?> Input { get; } = new("--input", "-i") { Description = "Input value (JSON unless --input-encoding says otherwise)" };

    public Option<string?> InputFile { get; } = new("--input-file") { Description = "Read the input from a file ('-' = stdin)" };

    public Option<string?> Encoding { get; } = new("--input-encoding") { Description = "json (default), raw or base64" };

    public Symbol[] Symbols => [Input, InputFile, Encoding];

    /// <summary>The decoded input, or null when no input flag was given.</summary>
    public JsonNode? Read(CommandContext context, bool wrapInArray = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        var inline = context.Get(Input);
        var file = context.Get(InputFile);
        if (inline is not null && file is not null)
        {
            throw CliException.Invalid("Use either --input or --input-file, not both.");
        }

        var text = inline ?? (file is null ? null : file == "-" ? Console.In.ReadToEnd() : ReadFile(file));
        if (text is null)
        {
            return null;
        }

        JsonNode? value = (context.Get(Encoding)?.Trim().ToLowerInvariant() ?? "json") switch
        {
            "json" => ParseJson(text, "--input"),
            "raw" => JsonValue.Create(text),
            "base64" => JsonValue.Create(DecodeBase64(text)),
            var other => throw CliException.Invalid($"Invalid --input-encoding '{other}': expected json, raw or base64."),
        };
        return !wrapInArray || value is JsonArray ? value : new JsonArray(value);
    }

    public static JsonNode? ParseJson(string text, string flag)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            throw CliException.Invalid($"{flag} is not valid JSON: {ex.Message}");
        }
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw CliException.Invalid($"Cannot read --input-file '{path}': {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw CliException.Invalid($"Cannot read --input-file '{path}': {ex.Message}");
        }
    }

    private static string DecodeBase64(string text)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text.Trim()));
        }
        catch (FormatException)
        {
            throw CliException.Invalid("--input is not valid base64.");
        }
    }
}
