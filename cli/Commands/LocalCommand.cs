using System.CommandLine;
using DurableWorkflow.Cli.Profiles;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// Builds a command that never talks to a server (<c>env:*</c>): no connection settings, no preflight, so a broken
/// profile selection can still be repaired; failures get the same exit codes and error output as server commands.
/// </summary>
public static class LocalCommand
{
    public static Command Create(CliIo io, string name, string description, Func<LocalContext, int> run, params Symbol[] symbols)
    {
        var command = CommandSymbols.Create(name, description, symbols);
        command.SetAction(parse => Run(io, name, parse, run));
        return command;
    }

    private static int Run(CliIo io, string name, ParseResult parse, Func<LocalContext, int> run)
    {
        var mode = OutputMode.Table;
        try
        {
            mode = GlobalOptions.ResolveOutput(parse);
            return run(new LocalContext(parse, ProfileStore.FromEnvironment(io.Environment), new OutputWriter(io, mode)));
        }
        catch (CliException ex)
        {
            return ErrorReporter.Report(io, mode, name, null, ex);
        }
    }
}
