using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Discovery;

/// <summary>Assembles the <c>GET /api/cluster/info</c> document from settings plus the live fleet and repair snapshots.</summary>
public sealed class ClusterInfoBuilder
{
    private readonly ServerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ServerCapabilities _capabilities;

    public ClusterInfoBuilder(ServerSettings settings, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _time = time ?? TimeProvider.System;
        _capabilities = ServerCapabilities.From(settings);
    }

    /// <summary>
    /// <c>server_capabilities</c> for the worker-plane envelope; a fresh node per call because the caller attaches it
    /// to a response body and a node can have only one parent.
    /// </summary>
    public JsonNode ServerCapabilitiesJson() =>
        JsonSerializer.SerializeToNode(_capabilities, DiscoveryJsonContext.Default.ServerCapabilities)!;

    /// <param name="requestNamespace">Scopes only <paramref name="fleet"/>; cluster info never rejects an unknown namespace.</param>
    /// <param name="fleet">The fleet of <paramref name="requestNamespace"/>.</param>
    /// <param name="repair">The global repair snapshot; it is not namespace-scoped.</param>
    public ClusterInfo Build(string requestNamespace, WorkerFleetSummary fleet, TaskRepairSnapshot repair)
    {
        ArgumentNullException.ThrowIfNull(requestNamespace);
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(repair);
        if (fleet.Namespace != requestNamespace)
        {
            throw new ArgumentException(
                $"Fleet summary is for namespace '{fleet.Namespace}', not the request namespace '{requestNamespace}'.", nameof(fleet));
        }

        return new ClusterInfo
        {
            ServerId = _settings.ServerId,
            Version = ServerVersion.Current,
            ServerBuildId = _settings.ServerBuildId,
            DefaultNamespace = _settings.DefaultNamespace,
            SupportedSdkVersions = new SupportedSdkVersions(),
            Capabilities = new ServerFeatureCapabilities { ResponseCompression = ResponseEncodings.Advertised(_settings) },
            WorkerFleet = fleet,
            TaskRepair = repair,
            Limits = new RequestLimits { MaxPayloadBytes = _settings.MaxPayloadBytes },
            StructuralLimits = StructuralLimits.Defaults,
            ClientCompatibility = ClientCompatibility.For(_settings.WorkerProtocolVersion),
            AuthCompositionContract = ContractManifests.AuthComposition(),
            ControlPlane = ControlPlaneDescriptor.Current,
            WorkerProtocol = WorkerProtocolDescriptor.From(_settings, _capabilities),
            BridgeAdapterOutcomeContract = ContractManifests.BridgeAdapterOutcome(),
            Topology = TopologySnapshot.From(_settings),
            CoordinationHealth = CoordinationHealth.FromChecks([], _time.GetUtcNow()),
        };
    }
}
