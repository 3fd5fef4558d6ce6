using System.Text.Json.Nodes;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.TestWorker;

/// <summary>Avro payload blobs and <c>{codec, blob}</c> envelopes as the SDKs build them (worker-protocol §6.4).</summary>
public static class Payloads
{
    public const string Codec = "avro";

    /// <summary>The bare blob of one value.</summary>
    public static string Blob(JsonNode? value) => AvroValueCodec.Encode(value?.DeepClone());

    /// <summary><c>{ "codec": "avro", "blob": ... }</c> of one value (results).</summary>
    public static JsonObject Envelope(JsonNode? value) => new() { ["codec"] = Codec, ["blob"] = Blob(value) };

    /// <summary>The envelope of a positional argument list (inputs, activity/signal/query arguments).</summary>
    public static JsonObject Arguments(params JsonNode?[] arguments) =>
        Envelope(new JsonArray([.. arguments.Select(a => a?.DeepClone())]));

    /// <summary>Decodes a bare blob string or a <c>{codec, blob}</c> envelope; null stays null.</summary>
    public static JsonNode? Decode(JsonNode? blobOrEnvelope)
    {
        var blob = blobOrEnvelope switch
        {
            null => null,
            JsonObject envelope => CodecOf(envelope) is Codec or null
                ? (string?)envelope["blob"]
                : throw new InvalidOperationException($"unsupported_payload_codec: {envelope.ToJsonString()}"),
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            _ => throw new InvalidOperationException($"Not a payload: {blobOrEnvelope.ToJsonString()}"),
        };
        if (blob is null)
        {
            return null;
        }

        return AvroValueCodec.TryDecode(blob, out var decoded, out var error)
            ? decoded
            : throw new InvalidOperationException($"Payload does not decode: {error}");
    }

    /// <summary>Decodes an argument list; a missing payload is the empty list.</summary>
    public static JsonArray DecodeArguments(JsonNode? blobOrEnvelope) =>
        Decode(blobOrEnvelope) switch
        {
            null => [],
            JsonArray list => list,
            var other => throw new InvalidOperationException($"Arguments are not a list: {other.ToJsonString()}"),
        };

    private static string? CodecOf(JsonObject envelope) => (string?)envelope["codec"];
}
