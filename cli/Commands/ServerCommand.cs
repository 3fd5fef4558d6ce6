using System.CommandLine;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// Builds a server command: resolves the settings, runs the compatibility preflight, runs the body, and turns every
/// failure into the documented exit code and one-line (or JSON) error.
/// </summary>
public static class ServerCommand
{
    public static Command Create(CliIo io, string name, string description, Func<CommandContext, Task<int>> run, Preflight preflight = Preflight.Control, params Symbol[] symbols)
    {
        var command = CommandSymbols.Create(name, description, symbols);
        command.SetAction((parse, cancellationToken) => RunAsync(io, name, parse, run, preflight, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliIo io, string name, ParseResult parse, Func<CommandContext, Task<int>> run, Preflight preflight, CancellationToken cancellationToken)
    {
        var mode = OutputMode.Table;
        string? ns = null;
        try
        {
            mode = GlobalOptions.ResolveOutput(parse);
            var settings = GlobalOptions.Resolve(parse, io.Environment);
            mode = settings.Output;
            ns = settings.Namespace;
            using var client = new ServerClient(settings);
            var context = new CommandContext(name, parse, io, settings, client, cancellationToken);
            if (preflight != Preflight.None)
            {
                await CompatibilityPreflight.CheckAsync(client, context.CliVersion, preflight == Preflight.Worker, cancellationToken);
            }

            return await run(context);
        }
        catch (CliException ex)
        {
            return ErrorReporter.Report(io, mode, name, ns, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The CLI never prints a stack trace: anything unforeseen is still one line and the generic failure code.
            return ErrorReporter.Report(io, mode, name, ns, new CliException(ExitCodes.Failure, $"{ex.GetType().Name}: {ex.Message}", "unexpected_error"));
        }
    }
}
