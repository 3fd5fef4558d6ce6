using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DurableWorkflow.TestWorker;

/// <summary>Workflow-task commands in the exact shape the Python SDK emits them (worker-protocol §3.5).</summary>
public static class Commands
{
    public static JsonObject ScheduleActivity(string activityType, string queue, JsonArray? arguments = null) => new()
    {
        ["type"] = "schedule_activity",
        ["activity_type"] = activityType,
        ["queue"] = queue,
        ["arguments"] = Payloads.Envelope(arguments ?? []),
    };

    public static JsonObject StartTimer(int delaySeconds) => new()
    {
        ["type"] = "start_timer",
        ["delay_seconds"] = delaySeconds,
    };

    public static JsonObject OpenConditionWait(string conditionKey, int timeoutSeconds) => new()
    {
        ["type"] = "open_condition_wait",
        ["condition_key"] = conditionKey,
        ["condition_definition_fingerprint"] = Fingerprint(conditionKey),
        ["timeout_seconds"] = timeoutSeconds,
    };

    public static JsonObject CompleteWorkflow(JsonNode? result) => new()
    {
        ["type"] = "complete_workflow",
        ["result"] = Payloads.Envelope(result),
    };

    public static JsonObject FailWorkflow(string message, string exceptionType = "RuntimeError") => new()
    {
        ["type"] = "fail_workflow",
        ["message"] = message,
        ["exception_type"] = exceptionType,
        ["exception_class"] = $"builtins.{exceptionType}",
    };

    /// <summary>Python fingerprints are <c>sha256:</c> plus a hex digest; the content only has to be stable.</summary>
    public static string Fingerprint(string text) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
