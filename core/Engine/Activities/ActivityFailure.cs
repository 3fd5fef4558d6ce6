using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>
/// The <c>failure</c> object of an activity <c>/fail</c> (worker-protocol §4.3): validated, normalised into the engine's
/// failure payload (§6.5), and judged against the execution's retry policy.
/// </summary>
public sealed class ActivityFailure
{
    /// <summary>Failure category of activity failures (engine <c>FailureFactory::classify('activity', ...)</c>).</summary>
    public const string Category = "activity";

    private static readonly string[] Kinds =
        ["application", "timeout", "cancellation", "malformed_output", "handler_crash", "decode_failure", "unsupported_payload"];

    private static readonly string[] TimeoutTypes =
        ["schedule_to_start", "start_to_close", "schedule_to_close", "heartbeat", "deadline_exceeded"];

    private ActivityFailure(JsonObject raw, PayloadEnvelope? details)
    {
        Raw = raw;
        Details = details;
    }

    /// <summary>The failure exactly as the worker sent it, kept on the attempt and the task for diagnostics.</summary>
    public JsonObject Raw { get; }

    public PayloadEnvelope? Details { get; }

    public string Message => (string)Raw["message"]!;

    public string? Type => Raw["type"]?.GetValue<string>();

    /// <summary>Python's <c>module.QualName</c>; PHP 0.2.10 dropped it and recorded <c>RuntimeException</c>, which stays the fallback.</summary>
    public string ExceptionClass => Raw["class"]?.GetValue<string>() ?? "RuntimeException";

    public int Code => CommandValidator.ReadInt(Raw["code"]) ?? 0;

    /// <summary>
    /// Validates <c>failure</c> into <paramref name="v"/> under <c>failure.*</c> keys; null when absent or invalid. A plain
    /// JSON <c>details</c> value is encoded as the single Avro value an SDK would have sent.
    /// </summary>
    public static ActivityFailure? Read(JsonElement? body, RequestValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (body is not { ValueKind: JsonValueKind.Object } obj || !obj.TryGetProperty("failure", out var given) || given.ValueKind == JsonValueKind.Null)
        {
            v.AddError("failure", "The failure field is required.");
            return null;
        }

        if (v.Object("failure") is not { } element)
        {
            return null;
        }

        var raw = JsonNode.Parse(element.GetRawText())!.AsObject();
        var message = Present(raw, "message");
        if (message is not null && message.GetValueKind() != JsonValueKind.String)
        {
            v.AddError("failure.message", "The failure.message field must be a string.");
        }
        else if (string.IsNullOrWhiteSpace(message?.GetValue<string>()))
        {
            v.AddError("failure.message", "The failure.message field is required.");
        }

        foreach (var key in new[] { "type", "class", "stack_trace" })
        {
            if (Present(raw, key) is { } text && text.GetValueKind() != JsonValueKind.String)
            {
                v.AddError($"failure.{key}", $"The failure.{key} field must be a string.");
            }
        }

        if (Present(raw, "code") is { } code && CommandValidator.ReadInt(code) is null)
        {
            v.AddError("failure.code", "The failure.code field must be an integer.");
        }

        foreach (var key in new[] { "non_retryable", "retryable", "cancelled", "malformed_output" })
        {
            if (Present(raw, key) is { } flag && flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                v.AddError($"failure.{key}", $"The failure.{key} field must be true or false.");
            }
        }

        OneOf(raw, "kind", Kinds, v);
        OneOf(raw, "timeout_type", TimeoutTypes, v);
        var details = PayloadField.Parse(raw["details"], "failure.details");
        if (!details.IsValid)
        {
            v.AddError(details.ErrorField!, details.Error!);
        }

        return v.IsValid ? new ActivityFailure(raw, details.Envelope) : null;
    }

    /// <summary>
    /// Non-retryable when the worker says so (<c>non_retryable: true</c>, or <c>retryable: false</c>, treated alike), or
    /// when its type or class is listed in the policy's <c>non_retryable_error_types</c>.
    /// </summary>
    public bool IsNonRetryable(ActivityExecutionRow execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        if (Flag("non_retryable") == true || Flag("retryable") == false)
        {
            return true;
        }

        var listed = ActivityPolicy.NonRetryableErrorTypes(execution);
        return (Type is { } type && listed.Contains(type, StringComparer.Ordinal))
            || (Raw["class"]?.GetValue<string>() is { } cls && listed.Contains(cls, StringComparer.Ordinal));
    }

    /// <summary>The normalised failure payload (<c>exception</c> in events and failure rows, worker-protocol §6.5).</summary>
    public JsonObject Exception(bool nonRetryable)
    {
        var trace = Raw["stack_trace"]?.GetValue<string>() is { Length: > 0 } stack
            ? new JsonArray([.. stack.Split('\n').Select(line => (JsonNode?)line.TrimEnd('\r'))])
            : [];
        var exception = new JsonObject
        {
            ["class"] = ExceptionClass,
            ["type"] = Type,
            ["message"] = Message,
            ["code"] = Code,
            ["trace"] = trace,
            ["properties"] = new JsonArray(),
            ["non_retryable"] = nonRetryable,
        };
        if (Details is { } details)
        {
            exception["details"] = details.Blob is { } blob ? blob : details.ToJson();
            exception["details_payload_codec"] = details.Codec;
        }

        // Python surfaces these language-neutral objects on the ActivityFailed exception it raises (§6.3 item 5).
        foreach (var key in new[] { "diagnostics", "runtime_diagnostics" })
        {
            if (Raw[key] is JsonObject extra)
            {
                exception[key] = extra.DeepClone();
            }
        }

        return exception;
    }

    private bool? Flag(string key) => Raw[key] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    /// <summary>The value of a key, with JSON null treated as absent (Laravel's <c>nullable</c>).</summary>
    private static JsonNode? Present(JsonObject raw, string key) =>
        raw[key] is { } node && node.GetValueKind() != JsonValueKind.Null ? node : null;

    private static void OneOf(JsonObject raw, string key, string[] allowed, RequestValidator v)
    {
        if (Present(raw, key) is { } node
            && (node.GetValueKind() != JsonValueKind.String || !allowed.Contains(node.GetValue<string>(), StringComparer.Ordinal)))
        {
            v.AddError($"failure.{key}", $"The selected failure.{key} is invalid.");
        }
    }
}
