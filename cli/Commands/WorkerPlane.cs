using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// Shared pieces of the worker-plane diagnostic commands (<c>worker:register</c>, <c>workflow-task:*</c>,
/// <c>query-task:*</c>, <c>activity:complete|fail</c>): they POST to <c>/api/worker/...</c> and print the server's
/// answer as is, as the official CLI does (no <c>namespace</c> added).
/// </summary>
public static class WorkerPlane
{
    /// <summary>
    /// A poll may be held open by the server for up to 60 s (the protocol's clamp on the hold time), so the HTTP
    /// deadline sits above it; other worker calls answer at once and keep the default deadline.
    /// </summary>
    public static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(65);

    public static async Task<int> PostAsync(CommandContext c, string path, JsonObject body, Action<IAnsiConsole, JsonNode?> table, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        var answer = await c.SendAsync(HttpMethod.Post, path, body: body, timeout: timeout);
        c.Output.Write(answer, table);
        return ExitCodes.Success;
    }

    public static int PositiveInt(string? text, string what) =>
        int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : throw CliException.Invalid($"{what} must be a positive integer.");

    public static int? OptionalPositiveInt(CommandContext c, Option<string?> option) =>
        c.Get(option) is { Length: > 0 } text ? PositiveInt(text, $"--{option.Name.TrimStart('-')}") : null;

    public static JsonNode? Json(string? text, string flag) => text is { Length: > 0 } ? Commands.InputOptions.ParseJson(text, flag) : null;

    public static string RequiredMessage(CommandContext c, Option<string?> message) =>
        c.Get(message) is { } text && !string.IsNullOrWhiteSpace(text) ? text : throw CliException.Invalid("--message is required.");

    public static Option<string?> LeaseOwner() => new("--lease-owner") { Description = "Lease owner identity (default 'cli')", DefaultValueFactory = _ => "cli" };

    public static Option<string?> TaskQueue() => new("--task-queue") { Description = "Task queue (default 'default')", DefaultValueFactory = _ => "default" };

    /// <summary>Writes <c>Label: value</c> lines for people, <c>-</c> for a missing value.</summary>
    public static void Lines(IAnsiConsole console, string heading, params (string Label, JsonNode? Value)[] lines)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(lines);
        console.WriteLine(heading);
        foreach (var (label, value) in lines)
        {
            console.WriteLine($"  {label}: {GenericTable.Text(value)}");
        }
    }
}
