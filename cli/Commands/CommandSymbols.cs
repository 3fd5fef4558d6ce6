using System.CommandLine;

namespace DurableWorkflow.Cli.Commands;

/// <summary>The one way a command is built from a name and its options and arguments, for server and local commands alike.</summary>
public static class CommandSymbols
{
    public static Command Create(string name, string description, IReadOnlyList<Symbol> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                default:
                    throw new ArgumentException($"Unsupported symbol {symbol.Name}.", nameof(symbols));
            }
        }

        return command;
    }
}
