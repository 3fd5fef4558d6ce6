using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Discovery;

/// <summary>Source-generated serializers for the discovery documents and the parts other endpoints reuse.</summary>
[JsonSerializable(typeof(ClusterInfo))]
[JsonSerializable(typeof(ServerCapabilities))]
[JsonSerializable(typeof(MatchingRoleSnapshot))]
[JsonSerializable(typeof(TaskRepairSnapshot))]
[JsonSerializable(typeof(StructuralLimits))]
public sealed partial class DiscoveryJsonContext : JsonSerializerContext;
