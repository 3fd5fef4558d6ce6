using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Payloads;

/// <summary>
/// The outcome of reading a payload field: an envelope, nothing (<see cref="NoArguments"/>), or a validation error keyed
/// like the engine's 422 <c>errors</c> map (<c>input</c>, <c>input.codec</c>, <c>input.blob</c>, ...).
/// </summary>
public sealed record PayloadInputResult
{
    public PayloadEnvelope? Envelope { get; init; }

    public string? ErrorField { get; init; }

    public string? Error { get; init; }

    public bool IsValid => Error is null;

    /// <summary>The field carried nothing: no arguments for an input field, no payload for a command field.</summary>
    public bool NoArguments => Envelope is null && Error is null;

    internal static PayloadInputResult Empty { get; } = new();

    internal static PayloadInputResult Of(PayloadEnvelope envelope)
    {
        return new PayloadInputResult { Envelope = envelope };
    }

    internal static PayloadInputResult Invalid(string field, string error)
    {
        return new PayloadInputResult { ErrorField = field, Error = error };
    }
}

/// <summary>Turns request payload fields into stored envelopes (control-plane §1.13, worker-protocol §6.4).</summary>
public static class PayloadInput
{
    /// <summary>
    /// Reads an arguments field (<c>input</c> of start, signal, query, update, schedule action). An envelope passes
    /// through untouched, an external reference included (resolving it is the caller's concern); a plain array, or an
    /// object's values in order, is encoded as one Avro array of positional arguments.
    /// </summary>
    public static PayloadInputResult ParseArguments(JsonNode? input, string field)
    {
        return Guarded(field, () => ClassifyArguments(input, field));
    }

    /// <summary>
    /// Reads a worker command payload field that takes a blob or an envelope. A bare string is an already-encoded blob
    /// tagged with <paramref name="payloadCodec"/> (absent means the default codec); null means no payload.
    /// </summary>
    public static PayloadInputResult ParseCommandPayload(JsonNode? node, string? payloadCodec, string field)
    {
        return Guarded(field, () => ClassifyCommandPayload(node, payloadCodec, field));
    }

    /// <summary>
    /// The decoded value for describe responses (<c>input</c>, <c>output</c>): null unless the envelope is an inline
    /// avro blob that decodes, because an undecodable payload must not fail the describe call.
    /// </summary>
    public static JsonNode? TryDecodeForDisplay(PayloadEnvelope? envelope)
    {
        if (envelope is not { Codec: PayloadEnvelope.DefaultCodec, Blob: { } blob })
        {
            return null;
        }

        return AvroValueCodec.TryDecode(blob, out var value, out _) ? value : null;
    }

    /// <summary>
    /// Request JSON is materialised lazily, so a duplicate key, like a non-finite number or an unpaired surrogate,
    /// only surfaces as an <see cref="ArgumentException"/> once the value is read; it is the caller's 422, not a 500.
    /// </summary>
    private static PayloadInputResult Guarded(string field, Func<PayloadInputResult> read)
    {
        try
        {
            return read();
        }
        catch (ArgumentException ex)
        {
            return PayloadInputResult.Invalid(field, $"The {field} field cannot be encoded: {ex.Message}");
        }
    }

    private static PayloadInputResult ClassifyArguments(JsonNode? input, string field)
    {
        switch (input)
        {
            case null:
            case JsonArray { Count: 0 }:
            // The engine decodes {} and [] to the same empty PHP array, so both mean no arguments.
            case JsonObject { Count: 0 }:
                return PayloadInputResult.Empty;
            case JsonObject envelope when PayloadEnvelope.HasEnvelopeShape(envelope):
                return ReadEnvelope(envelope, field, argumentList: true);
            case JsonArray arguments:
                return EncodeArguments(arguments);
            case JsonObject named:
                return EncodeArguments(new JsonArray([.. named.Select(pair => pair.Value?.DeepClone())]));
            default:
                return PayloadInputResult.Invalid(field, $"The {field} field must be an array or an envelope object.");
        }
    }

    private static PayloadInputResult ClassifyCommandPayload(JsonNode? node, string? payloadCodec, string field)
    {
        if (node is null)
        {
            return PayloadInputResult.Empty;
        }

        if (PayloadEnvelope.TryGetString(node, out var blob))
        {
            var codec = string.IsNullOrEmpty(payloadCodec) ? PayloadEnvelope.DefaultCodec : payloadCodec;
            return IsKnownCodec(codec)
                ? CheckInline(PayloadEnvelope.FromBlob(blob, codec), field, field, argumentList: false)
                : PayloadInputResult.Invalid(field, UnknownCodec(codec));
        }

        return PayloadEnvelope.HasEnvelopeShape(node)
            ? ReadEnvelope(node.AsObject(), field, argumentList: false)
            : PayloadInputResult.Invalid(field, $"The {field} field must be a payload blob string or an envelope object.");
    }

    private static PayloadInputResult ReadEnvelope(JsonObject shaped, string field, bool argumentList)
    {
        if (!PayloadEnvelope.TryRead(shaped, out var envelope, out var invalidKey, out var error))
        {
            return PayloadInputResult.Invalid($"{field}.{invalidKey}", error);
        }

        return IsKnownCodec(envelope.Codec)
            ? CheckInline(envelope, field, $"{field}.blob", argumentList)
            : PayloadInputResult.Invalid($"{field}.codec", UnknownCodec(envelope.Codec));
    }

    /// <summary>
    /// An inline blob a worker could not decode would make the run retry its workflow task forever, so it is refused
    /// here: it must be base64 of an Avro single-object frame whose datum decodes as the Value schema, and an argument
    /// list must decode to an array (worker-protocol §6.4). External references are resolved, and checked, elsewhere.
    /// </summary>
    private static PayloadInputResult CheckInline(PayloadEnvelope envelope, string field, string blobField, bool argumentList)
    {
        if (envelope is not { Codec: PayloadEnvelope.DefaultCodec, Blob: { } blob })
        {
            return PayloadInputResult.Of(envelope);
        }

        if (!AvroValueCodec.TryDecode(blob, out var value, out var error))
        {
            return PayloadInputResult.Invalid(blobField, $"The {field} payload is not a valid avro payload: {error}");
        }

        return argumentList && value is not JsonArray
            ? PayloadInputResult.Invalid(blobField, $"The {field} payload must encode an array of positional arguments.")
            : PayloadInputResult.Of(envelope);
    }

    private static PayloadInputResult EncodeArguments(JsonArray arguments)
    {
        return PayloadInputResult.Of(PayloadEnvelope.FromBlob(AvroValueCodec.Encode(arguments)));
    }

    private static bool IsKnownCodec(string codec)
    {
        return PayloadEnvelope.KnownCodecs.Contains(codec, StringComparer.Ordinal);
    }

    private static string UnknownCodec(string codec)
    {
        return $"Unknown payload codec \"{codec}\". Known codecs: {string.Join(", ", PayloadEnvelope.KnownCodecs)}.";
    }
}
