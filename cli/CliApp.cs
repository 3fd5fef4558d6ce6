using System.CommandLine;
using DurableWorkflow.Cli.Commands;

namespace DurableWorkflow.Cli;

/// <summary>Builds the <c>dw</c> command tree and runs one invocation; bad arguments are exit 2 with one line.</summary>
public static class CliApp
{
    public static RootCommand Build(CliIo io)
    {
        var root = new RootCommand("dw: operator CLI for DurableWorkflow.NET (compatible with the official Durable Workflow dw CLI)");
        foreach (var option in GlobalOptions.All)
        {
            root.Options.Add(option);
        }

        IEnumerable<Command> commands =
        [
            .. TaskQueueCommands.Create(io),
            .. SystemCommands.Create(io),
            .. WorkflowCommands.Create(io),
            .. ScheduleCommands.Create(io),
            .. NamespaceCommands.Create(io),
            .. WorkerCommands.Create(io),
            .. ServerCommands.Create(io),
            .. SurfaceCommands.Create(io),
            .. RolloutCommands.Create(io),
            .. EnvCommands.Create(io),
            .. WorkflowTaskCommands.Create(io),
            .. QueryTaskCommands.Create(io),
            .. ActivityCommands.Create(io),
        ];
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliIo io, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(io);
        var parse = Build(io).Parse(args);
        if (parse.Errors.Count > 0)
        {
            var mode = args.Contains("--json") || args.Any(a => a is "--output=json" or "--output=jsonl") ? OutputMode.Json : OutputMode.Table;
            var message = string.Join(" ", parse.Errors.Select(e => e.Message));
            return ErrorReporter.Report(io, mode, parse.CommandResult.Command.Name, null, CliException.Invalid($"Invalid arguments: {message}", "invalid_arguments"));
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error }, cancellationToken);
    }
}
