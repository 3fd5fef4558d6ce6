using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Readiness;

/// <summary>The long-poll cache validator's classification of this node's cache (rollout contract §3.2, §10.7).</summary>
public sealed record CacheValidation(
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("capable")] bool Capable,
    [property: JsonPropertyName("multi_node")] bool MultiNode,
    [property: JsonPropertyName("safe")] bool Safe,
    [property: JsonPropertyName("reason")] string Reason);
