using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Bridge;

/// <summary>What identifies one provider event.</summary>
public sealed record BridgeEventKey(string Namespace, string Adapter, string IdempotencyKey);

/// <summary>The first outcome stored for a key, with the HTTP status it was answered with.</summary>
public sealed record StoredBridgeOutcome(int HttpStatus, JsonObject Outcome);
