using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Bridge;

/// <summary>One provider event as the webhook received it; fields are null until validation has read them.</summary>
public sealed record BridgeEvent(string Adapter, string? Action, string? IdempotencyKey, JsonObject? Target, JsonObject? Correlation)
{
    public const string StartAction = "start_workflow";
    public const string SignalAction = "signal_workflow";
    public const string UpdateAction = "update_workflow";

    public static readonly IReadOnlyList<string> Actions = [StartAction, SignalAction, UpdateAction];

    private static readonly string[] TargetKeys = ["workflow_id", "workflow_type", "signal_name", "update_name", "task_queue", "business_key", "duplicate_policy"];

    /// <summary>The routing fields of the target only: a provider's target may carry anything, the outcome echoes what routed it.</summary>
    public JsonObject? RedactedTarget()
    {
        if (Target is null)
        {
            return null;
        }

        var redacted = new JsonObject();
        foreach (var key in TargetKeys)
        {
            if (Target[key] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0)
            {
                redacted[key] = text;
            }
        }

        return redacted;
    }
}
