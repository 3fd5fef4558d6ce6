using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// Which run a command addresses (control-plane spec §4.6): the instance path addresses the current run, the run path
/// names a run that must still be the current one.
/// </summary>
public sealed record CommandTarget(string WorkflowId, string? RunId = null)
{
    public string Scope => RunId is null ? "instance" : "run";
}

/// <summary>Request-boundary rules shared by the workflow commands (control-plane spec §4.6).</summary>
internal static class CommandRequest
{
    /// <summary><c>DW_MAX_OPERATION_NAME_LENGTH</c>'s default; names are checked in UTF-8 bytes, as upstream does.</summary>
    public const int MaxOperationNameBytes = 256;

    public const int MaxReasonLength = 1000;

    public const int MaxRequestIdLength = 255;

    /// <summary>
    /// Checks a signal, query or update name from the URL before anything else, so a bad name never reaches the
    /// engine; the error is keyed <c>signal_name</c>, <c>query_name</c> or <c>update_name</c>.
    /// </summary>
    public static ApiError? NameError(string kind, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var v = new RequestValidator(null);
        var field = $"{kind}_name";
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes == 0)
        {
            v.AddError(field, $"The {kind} name must not be empty.");
        }
        else if (bytes > MaxOperationNameBytes)
        {
            v.AddError(field, $"The {kind} name exceeds the maximum length of {MaxOperationNameBytes} bytes.");
        }
        else if (name.Any(c => c < 0x20 || c == 0x7F))
        {
            v.AddError(field, $"The {kind} name must not contain control characters.");
        }

        return v.IsValid ? null : v.ToError();
    }

    /// <summary>
    /// The <c>input</c> arguments as an envelope. No input becomes an encoded empty argument list, because history
    /// events and query tasks always carry an arguments blob the SDKs can decode.
    /// </summary>
    public static PayloadEnvelope Arguments(RequestValidator v, JsonElement? body)
    {
        ArgumentNullException.ThrowIfNull(v);
        var node = body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("input", out var raw)
            ? JsonNode.Parse(raw.GetRawText())
            : null;
        var parsed = PayloadInput.ParseArguments(node, "input");
        if (parsed.Error is { } error)
        {
            v.AddError(parsed.ErrorField ?? "input", error);
        }

        return parsed.Envelope ?? PayloadEnvelope.FromBlob(AvroValueCodec.Encode(new JsonArray()));
    }

    /// <summary>The bare blob that history events carry; an external reference is kept as its envelope.</summary>
    public static JsonNode HistoryValue(PayloadEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Blob is { } blob ? JsonValue.Create(blob) : envelope.ToJson();
    }
}
