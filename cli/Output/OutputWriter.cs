using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli;

/// <summary>
/// Writes a command's result in the selected mode: the server document on one line (<c>json</c>), one list item per
/// line (<c>jsonl</c>), or a Spectre table for people (<c>table</c>).
/// </summary>
public sealed class OutputWriter
{
    /// <summary>The list arrays <c>jsonl</c> spreads one item per line (spec §13.4), in the order they are looked for.</summary>
    private static readonly string[] ListKeys = ["workflows", "schedules", "namespaces", "workers", "task_queues", "runs", "events", "build_ids", "search_attributes", "rows", "findings", "envs"];

    private readonly CliIo io;

    public OutputWriter(CliIo io, OutputMode mode)
    {
        ArgumentNullException.ThrowIfNull(io);
        this.io = io;
        Mode = mode;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = io.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!io.Interactive)
        {
            // Captured or piped output is read by scripts and tests: wide enough that no table cell wraps.
            Console.Profile.Width = 240;
        }
    }

    public OutputMode Mode { get; }

    public IAnsiConsole Console { get; }

    public TextWriter Error => io.Error;

    /// <summary>Writes <paramref name="document"/>; <paramref name="table"/> renders it for people, else a generic table.</summary>
    public void Write(JsonNode? document, Action<IAnsiConsole, JsonNode?>? table = null)
    {
        switch (Mode)
        {
            case OutputMode.Json:
                io.Out.WriteLine(JsonOutput.Line(document));
                break;
            case OutputMode.Jsonl:
                if (ListOf(document) is { } items)
                {
                    foreach (var item in items)
                    {
                        io.Out.WriteLine(JsonOutput.Line(item));
                    }
                }
                else
                {
                    io.Out.WriteLine(JsonOutput.Line(document));
                }

                break;
            default:
                (table ?? GenericTable.Render)(Console, document);
                break;
        }
    }

    /// <summary>A plain line for people (table mode only); JSON modes keep stdout to the document.</summary>
    public void Line(string text)
    {
        if (Mode == OutputMode.Table)
        {
            io.Out.WriteLine(text);
        }
    }

    public static JsonArray? ListOf(JsonNode? document)
    {
        if (document is JsonArray array)
        {
            return array;
        }

        if (document is not JsonObject map)
        {
            return null;
        }

        foreach (var key in ListKeys)
        {
            if (map[key] is JsonArray list)
            {
                return list;
            }
        }

        return null;
    }
}
