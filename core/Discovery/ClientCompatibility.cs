using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// <c>client_compatibility</c> (§2.3.4): clients decide compatibility from the protocol manifests named here,
/// never from the top-level <c>version</c>.
/// </summary>
public sealed record ClientCompatibility
{
    [JsonPropertyName("schema")]
    public string Schema { get; init; } = ContractSchemas.ClientCompatibility;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("authority")]
    public string Authority { get; init; } = "protocol_manifests";

    [JsonPropertyName("top_level_version_role")]
    public string TopLevelVersionRole { get; init; } = "informational";

    [JsonPropertyName("fail_closed")]
    public bool FailClosed { get; init; } = true;

    [JsonPropertyName("required_protocols")]
    public required RequiredProtocols RequiredProtocols { get; init; }

    [JsonPropertyName("clients")]
    public CompatibleClients Clients { get; init; } = new();

    public static ClientCompatibility For(string workerProtocolVersion) => new()
    {
        RequiredProtocols = new RequiredProtocols { WorkerProtocol = new RequiredWorkerProtocol { Version = workerProtocolVersion } },
    };
}

public sealed record RequiredProtocols
{
    [JsonPropertyName("auth_composition")]
    public ManifestReference AuthComposition { get; init; } = new(ContractSchemas.AuthComposition, 1);

    [JsonPropertyName("control_plane")]
    public RequiredControlPlane ControlPlane { get; init; } = new();

    [JsonPropertyName("worker_protocol")]
    public required RequiredWorkerProtocol WorkerProtocol { get; init; }
}

/// <summary>A pointer to a manifest by schema name and version.</summary>
public sealed record ManifestReference(
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("version")] int Version);

public sealed record RequiredControlPlane
{
    [JsonPropertyName("version")]
    public string Version { get; init; } = ApiErrors.ControlPlaneVersion;

    [JsonPropertyName("header")]
    public string Header { get; init; } = HeaderNames.ControlPlaneVersion;

    [JsonPropertyName("request_contract")]
    public ManifestReference RequestContract { get; init; } = new(ControlPlaneRequestContract.SchemaName, 1);
}

public sealed record RequiredWorkerProtocol
{
    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("header")]
    public string Header { get; init; } = HeaderNames.WorkerProtocolVersion;

    [JsonPropertyName("external_execution_surface_contract")]
    public ManifestReference ExternalExecutionSurfaceContract { get; init; } = new(ContractSchemas.ExternalExecutionSurface, 1);

    [JsonPropertyName("external_executor_config_contract")]
    public ManifestReference ExternalExecutorConfigContract { get; init; } = new(ContractSchemas.ExternalExecutorConfig, 1);

    [JsonPropertyName("invocable_carrier_contract")]
    public ManifestReference InvocableCarrierContract { get; init; } = new(ContractSchemas.InvocableCarrier, 1);

    [JsonPropertyName("external_task_input_contract")]
    public ManifestReference ExternalTaskInputContract { get; init; } = new(ContractSchemas.ExternalTaskInput, 1);

    [JsonPropertyName("external_task_result_contract")]
    public ManifestReference ExternalTaskResultContract { get; init; } = new(ContractSchemas.ExternalTaskResult, 1);
}

public sealed record CompatibleClients
{
    [JsonPropertyName("cli")]
    public CompatibleClient Cli { get; init; } = new(
        ClientVersionRanges.Cli,
        ["auth_composition.version", "control_plane.version", "control_plane.request_contract"]);

    [JsonPropertyName("sdk-python")]
    public CompatibleClient SdkPython { get; init; } = new(
        ClientVersionRanges.Python,
        [
            "auth_composition.version", "control_plane.version", "control_plane.request_contract",
            "worker_protocol.version", "worker_protocol.external_execution_surface_contract",
            "worker_protocol.external_executor_config_contract", "worker_protocol.invocable_carrier_contract",
            "worker_protocol.external_task_input_contract", "worker_protocol.external_task_result_contract",
        ]);
}

/// <summary>A client build range and the manifest entries that client relies on.</summary>
public sealed record CompatibleClient(
    [property: JsonPropertyName("supported_versions")] string SupportedVersions,
    [property: JsonPropertyName("requires")] IReadOnlyList<string> Requires);
