using System.CommandLine;
using DurableWorkflow.Cli.Profiles;

namespace DurableWorkflow.Cli.Commands;

/// <summary>One invocation of a local command: its parse result, the profile store and the output.</summary>
public sealed record LocalContext(ParseResult Parse, ProfileStore Store, OutputWriter Output)
{
    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>Whether the flag was written on the command line at all (an empty value then means "clear").</summary>
    public bool Given(Option option) => Parse.GetResult(option) is { Implicit: false };
}
