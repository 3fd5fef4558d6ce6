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

    public static bool Accepts(string? serverVersion)
    {
        var client = ServerClient.WorkerProtocolVersion.Split('.');
        var server = serverVersion?.Trim().Split('.');
        return server is { Length: 2 } && server[0] == client[0]
            && int.TryParse(server[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            && minor >= int.Parse(client[1], CultureInfo.InvariantCulture);
    }

    /// <summary>A worker-plane answer without a compatible version envelope is a contract violation: exit 1.</summary>
    public static void CheckResponse(string path, ServerResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!Accepts(response.ProtocolVersion))
        {
            throw new CliException(
                ExitCodes.Failure,
                $"Server error: invalid worker-protocol response version for [/{path.TrimStart('/')}]; expected same-major server minor compatible with [{ServerClient.WorkerProtocolVersion}], got [{response.ProtocolVersion ?? "missing"}].",
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
