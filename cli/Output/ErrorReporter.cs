using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli;

/// <summary>
/// A failed command as the official CLI reports it: under JSON output one object on stdout (<c>error</c>,
/// <c>exit_code</c>, <c>reason</c>, <c>status_code</c>, ...), otherwise one line on stderr. Never a stack trace.
/// </summary>
public static class ErrorReporter
{
    public static int Report(CliIo io, OutputMode mode, string? command, string? ns, CliException error)
    {
        ArgumentNullException.ThrowIfNull(io);
        ArgumentNullException.ThrowIfNull(error);
        if (mode != OutputMode.Table)
        {
            var document = new JsonObject
            {
                ["error"] = error.Message,
                ["exit_code"] = error.ExitCode,
                ["reason"] = error.Reason,
                ["status_code"] = error.StatusCode,
            };
            if (command is not null)
            {
                document["command"] = command;
            }

            if (ns is not null)
            {
                document["namespace"] = ns;
            }

            if (error.ServerResponse is not null)
            {
                document["server_response"] = error.ServerResponse.DeepClone();
            }

            if (error.Details is JsonObject details)
            {
                foreach (var (key, value) in details)
                {
                    document[key] = value?.DeepClone();
                }
            }

            io.Out.WriteLine(JsonOutput.Line(document));
            return error.ExitCode;
        }

        var reason = error.Reason is null ? string.Empty : $" (reason: {error.Reason})";
        io.Error.WriteLine($"{error.Message.ReplaceLineEndings(" ")}{reason}");
        return error.ExitCode;
    }
}
