using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli;

/// <summary>
/// A failure the CLI reports as one line (or one JSON object) and an exit code; never shown as a stack trace.
/// </summary>
public sealed class CliException : Exception
{
    public CliException(int exitCode, string message, string? reason = null, int? statusCode = null, JsonNode? serverResponse = null, JsonNode? details = null)
        : base(message)
    {
        ExitCode = exitCode;
        Reason = reason;
        StatusCode = statusCode;
        ServerResponse = serverResponse;
        Details = details;
    }

    public CliException()
        : this(ExitCodes.Failure, "The command failed.")
    {
    }

    public CliException(string message)
        : this(ExitCodes.Failure, message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Failure;
    }

    public int ExitCode { get; }

    public string? Reason { get; }

    public int? StatusCode { get; }

    public JsonNode? ServerResponse { get; }

    /// <summary>Extra structured context merged into the JSON error object (e.g. the compatibility report on exit 8).</summary>
    public JsonNode? Details { get; }

    public static CliException Invalid(string message, string reason = "invalid_input") => new(ExitCodes.Invalid, message, reason);
}
