using System.CommandLine;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>server:health</c> (no preflight), <c>server:info</c> and its alias <c>cluster:info</c>.</summary>
public static class ServerCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return ServerCommand.Create(io, "server:health", "Server liveness",
            c => c.PrintAsync(HttpMethod.Get, "health"), Preflight.None);
        // cluster/info is the document the preflight reads, so reading it needs no preflight of its own.
        yield return ServerCommand.Create(io, "server:info", "Cluster discovery document (/api/cluster/info)",
            c => c.PrintAsync(HttpMethod.Get, "cluster/info"), Preflight.None);
        yield return ServerCommand.Create(io, "cluster:info", "Cluster discovery document (alias of server:info)",
            c => c.PrintAsync(HttpMethod.Get, "cluster/info"), Preflight.None);
    }
}
