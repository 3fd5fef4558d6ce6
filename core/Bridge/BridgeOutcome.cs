using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Bridge;

/// <summary>
/// The bridge outcome document (<c>durable-workflow.v2.bridge-adapter-outcome.contract</c> v1, control-plane spec §11.2)
/// and its HTTP status: 202 accepted, 200 duplicate, 422 rejected. Null fields are left out, as upstream does.
/// </summary>
public sealed record BridgeOutcome(int HttpStatus, JsonObject Document)
{
    public const string Schema = "durable-workflow.v2.bridge-adapter-outcome.contract";
    public const int Version = 1;

    public static BridgeOutcome Accepted(BridgeEvent e, JsonObject fields) => Build(202, e, accepted: true, "accepted", null, fields);

    public static BridgeOutcome Duplicate(BridgeEvent e, string? reason, JsonObject fields) => Build(200, e, accepted: false, "duplicate", reason, fields);

    public static BridgeOutcome Rejected(BridgeEvent e, string reason, JsonObject? fields = null) =>
        Build(422, e, accepted: false, "rejected", reason, fields ?? []);

    /// <summary>A redelivered key: the first outcome's document, marked as a duplicate of it.</summary>
    public static BridgeOutcome Replay(StoredBridgeOutcome stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var document = stored.Outcome.DeepClone().AsObject();
        document["accepted"] = false;
        document["outcome"] = "duplicate";
        if ((string?)document["action"] == BridgeEvent.StartAction)
        {
            document["reason"] = "duplicate_start";
        }

        return new BridgeOutcome(200, Ordered(document));
    }

    private static BridgeOutcome Build(int status, BridgeEvent e, bool accepted, string outcome, string? reason, JsonObject fields)
    {
        var document = new JsonObject
        {
            ["schema"] = Schema,
            ["version"] = Version,
            ["adapter"] = e.Adapter,
            ["action"] = e.Action,
            ["accepted"] = accepted,
            ["outcome"] = outcome,
            ["reason"] = reason,
            ["idempotency_key"] = e.IdempotencyKey,
            ["target"] = e.RedactedTarget(),
            ["correlation"] = e.Correlation?.DeepClone(),
        };
        foreach (var (key, value) in fields)
        {
            document[key] = value?.DeepClone();
        }

        return new BridgeOutcome(status, Ordered(document));
    }

    /// <summary>The contract's key order with nulls dropped, so a stored document replays byte-for-byte in shape.</summary>
    private static JsonObject Ordered(JsonObject document)
    {
        string[] order = ["schema", "version", "adapter", "action", "accepted", "outcome", "reason", "idempotency_key", "target", "correlation"];
        var result = new JsonObject();
        foreach (var key in order.Concat(document.Select(p => p.Key).Except(order)))
        {
            if (document[key] is { } value)
            {
                result[key] = value.DeepClone();
            }
        }

        return result;
    }
}
