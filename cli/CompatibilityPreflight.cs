using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli;

/// <summary>
/// Before a server command, reads <c>/api/cluster/info</c> and refuses (exit 8) a server this CLI cannot safely talk to
/// (spec §13.3): control-plane version, the server's accepted CLI versions, the request contract, and for
/// worker-flavoured commands the worker-protocol version.
/// </summary>
public static class CompatibilityPreflight
{
    public const string RequestContractSchema = "durable-workflow.v2.control-plane-request.contract";
    public const string DefaultCliVersion = "2.0.0";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static string CliVersion(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment("DW_CLI_VERSION") is { Length: > 0 } version ? version.Trim() : DefaultCliVersion;
    }

    public static async Task<JsonObject> CheckAsync(ServerClient client, string cliVersion, bool workerFlavoured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var info = await client.SendAsync(HttpMethod.Get, "cluster/info", timeout: Timeout, cancellationToken: cancellationToken) as JsonObject
            ?? throw Refuse(client, cliVersion, null, "cluster info is not a JSON object");
        if (Problem(info, cliVersion, workerFlavoured, client.Settings) is { } problem)
        {
            throw Refuse(client, cliVersion, info, problem);
        }

        return info;
    }

    /// <summary>What makes the server incompatible, or null when it is compatible.</summary>
    public static string? Problem(JsonObject info, string cliVersion, bool workerFlavoured, ConnectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(settings);
        if (info["control_plane"] is not JsonObject controlPlane)
        {
            return "the server does not advertise control_plane";
        }

        var version = Text(controlPlane["version"]);
        if (version != settings.ControlPlaneVersion)
        {
            return $"control_plane.version is '{version ?? "missing"}', this CLI speaks '{settings.ControlPlaneVersion}'";
        }

        if (Text(info["client_compatibility"]?["clients"]?["cli"]?["supported_versions"]) is { Length: > 0 } supported
            && !VersionConstraint.Matches(supported, cliVersion))
        {
            return $"the server supports CLI versions '{supported}', this CLI is {cliVersion}";
        }

        if (controlPlane["request_contract"] is not JsonObject contract)
        {
            return "control_plane.request_contract is missing";
        }

        if (Text(contract["schema"]) != RequestContractSchema || contract["version"]?.ToString() != "1" || contract["operations"] is not JsonObject)
        {
            return $"control_plane.request_contract is not {RequestContractSchema} version 1 with operations";
        }

        if (workerFlavoured && !WorkerProtocol.Accepts(Text(info["worker_protocol"]?["version"]), settings.WorkerProtocolVersion))
        {
            return $"worker_protocol.version '{Text(info["worker_protocol"]?["version"]) ?? "missing"}' does not accept {settings.WorkerProtocolVersion}";
        }

        return null;
    }

    private static CliException Refuse(ServerClient client, string cliVersion, JsonObject? info, string problem)
    {
        var details = new JsonObject
        {
            ["compatibility"] = new JsonObject
            {
                ["cli_version"] = cliVersion,
                ["server_version"] = info?["version"]?.DeepClone(),
                ["server_supported_cli_versions"] = info?["client_compatibility"]?["clients"]?["cli"]?["supported_versions"]?.DeepClone(),
                ["control_plane"] = new JsonObject
                {
                    ["client_version"] = client.Settings.ControlPlaneVersion,
                    ["server_version"] = info?["control_plane"]?["version"]?.DeepClone(),
                },
                ["worker_protocol"] = new JsonObject
                {
                    ["client_version"] = client.Settings.WorkerProtocolVersion,
                    ["server_version"] = info?["worker_protocol"]?["version"]?.DeepClone(),
                },
                ["detail"] = problem,
                ["next_step"] = "Use a dw build that matches the server's control-plane contract, or upgrade the server.",
            },
        };
        return new CliException(ExitCodes.Compatibility,
            $"Server compatibility error: refusing before the requested operation against {client.Settings.Server}: {problem}.",
            "incompatible_server", null, info, details);
    }

    private static string? Text(JsonNode? node) => node is JsonValue value ? value.ToString().Trim() : null;
}
