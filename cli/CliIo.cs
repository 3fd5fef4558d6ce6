namespace DurableWorkflow.Cli;

/// <summary>
/// Where a run of the CLI writes and reads its settings: the real console and environment for the tool, captured
/// writers and a dictionary for in-process tests.
/// </summary>
public sealed record CliIo(TextWriter Out, TextWriter Error, Func<string, string?> Environment, bool Interactive)
{
    public static CliIo System() => new(
        Console.Out,
        Console.Error,
        global::System.Environment.GetEnvironmentVariable,
        !Console.IsOutputRedirected && !Console.IsErrorRedirected);

    public static CliIo Captured(TextWriter output, TextWriter error, IReadOnlyDictionary<string, string?> environment) =>
        new(output, error, name => environment.TryGetValue(name, out var value) ? value : null, false);
}
