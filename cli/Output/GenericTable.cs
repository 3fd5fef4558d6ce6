using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli;

/// <summary>
/// The table for documents without a dedicated layout: a list document shows its items' scalar fields as columns, any
/// other document shows its fields as Field/Value rows.
/// </summary>
public static class GenericTable
{
    private const int MaxColumns = 9;
    private const int MaxCell = 80;

    public static void Render(IAnsiConsole console, JsonNode? document)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (OutputWriter.ListOf(document) is { } items)
        {
            RenderList(console, items);
            if (document is JsonObject map && map["next_page_token"] is JsonValue next && next.GetValueKind() == JsonValueKind.String && next.GetValue<string>() is { Length: > 0 } token)
            {
                console.WriteLine($"Next page token: {token}");
            }

            return;
        }

        if (document is not JsonObject fields)
        {
            console.WriteLine(Text(document));
            return;
        }

        var table = new Table().AddColumn("Field").AddColumn("Value");
        foreach (var (key, value) in fields)
        {
            if (key is "control_plane")
            {
                continue;
            }

            table.AddRow(Markup.Escape(key), Markup.Escape(Cell(value)));
        }

        console.Write(table);
    }

    public static void RenderList(IAnsiConsole console, JsonArray items)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            console.WriteLine("(none)");
            return;
        }

        var columns = items.OfType<JsonObject>()
            .SelectMany(item => item.Where(p => p.Value is not JsonObject).Select(p => p.Key))
            .Distinct(StringComparer.Ordinal)
            .Take(MaxColumns)
            .ToList();
        if (columns.Count == 0)
        {
            foreach (var item in items)
            {
                console.WriteLine(Cell(item));
            }

            return;
        }

        var table = new Table();
        foreach (var column in columns)
        {
            table.AddColumn(Markup.Escape(Heading(column)));
        }

        foreach (var item in items.OfType<JsonObject>())
        {
            table.AddRow([.. columns.Select(c => Markup.Escape(Cell(item[c])))]);
        }

        console.Write(table);
    }

    /// <summary><c>last_heartbeat_at</c> → <c>Last Heartbeat At</c>.</summary>
    public static string Heading(string key) =>
        string.Join(' ', key.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Length <= 2 && w is "id" ? "ID" : char.ToUpperInvariant(w[0]) + w[1..]));

    public static string Cell(JsonNode? value)
    {
        var text = value switch
        {
            null => "-",
            JsonArray list when list.All(v => v is JsonValue) => string.Join(", ", list.Select(Text)),
            JsonValue scalar => Text(scalar),
            _ => value.ToJsonString(JsonOutput.Options),
        };
        return text.Length > MaxCell ? string.Concat(text.AsSpan(0, MaxCell - 1), "…") : text;
    }

    public static string Text(JsonNode? value) => value switch
    {
        null => "-",
        JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String => scalar.GetValue<string>(),
        JsonValue scalar when scalar.GetValueKind() is JsonValueKind.True or JsonValueKind.False => scalar.GetValue<bool>() ? "yes" : "no",
        JsonValue scalar when scalar.TryGetValue<double>(out var number) => number.ToString(CultureInfo.InvariantCulture),
        _ => value.ToJsonString(JsonOutput.Options),
    };
}
