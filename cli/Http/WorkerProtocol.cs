using System.Globalization;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Http;

/// <summary>
/// The worker-protocol version rule (spec §13.2): a server version is accepted when it has the client's major and a
/// minor at least the client's; every worker-plane answer must carry it in the header and as the body's
/// <c>protocol_version</c>, identically.
/// </summary>
public static class WorkerProtocol
{
    public const string Header = "X-Durable-Workflow-Protocol-Version";

    /// <summary>
    /// Whether a server speaking <paramref name="serverVersion"/> serves a client speaking <paramref name="clientVersion"/>.
    /// A client version that is not <c>major.minor</c> (an operator's <c>DURABLE_WORKFLOW_WORKER_PROTOCOL_VERSION</c>)
    /// has no minor to compare, so only the same text is accepted.
    /// </summary>
    public static bool Accepts(string? serverVersion, string clientVersion)
    {
        ArgumentNullException.ThrowIfNull(clientVersion);
        var server = serverVersion?.Trim();
        if (MajorMinor(clientVersion) is not { } client)
        {
            return server == clientVersion.Trim();
        }

        return MajorMinor(server) is { } offered && offered.Major == client.Major && offered.Minor >= client.Minor;
    }

    private static (int Major, int Minor)? MajorMinor(string? version)
    {
        var parts = version?.Trim().Split('.');
        return parts is { Length: 2 }
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
                ? (major, minor)
                : null;
    }

    /// <summary>A worker-plane answer without a compatible version envelope is a contract violation: exit 1.</summary>
    public static void CheckResponse(string path, ServerResponse response, string clientVersion)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!Accepts(response.ProtocolVersion, clientVersion))
        {
            throw new CliException(
                ExitCodes.Failure,
                $"Server error: invalid worker-protocol response version for [/{path.TrimStart('/')}]; expected same-major server minor compatible with [{clientVersion}], got [{response.ProtocolVersion ?? "missing"}].",
                "worker_protocol_mismatch",
                response.Status,
                response.Body);
        }

        var bodyVersion = (response.Body as JsonObject)?["protocol_version"] is JsonValue value ? value.ToString().Trim() : null;
        if (bodyVersion != response.ProtocolVersion)
        {
            throw new CliException(
                ExitCodes.Failure,
                $"Server error: invalid worker-protocol response body for [/{path.TrimStart('/')}]; expected protocol_version {response.ProtocolVersion}, got {bodyVersion ?? "none"}.",
                "worker_protocol_mismatch",
                response.Status,
                response.Body);
        }
    }
}
