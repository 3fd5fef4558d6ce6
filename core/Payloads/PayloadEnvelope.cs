using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Payloads;

/// <summary>
/// A codec-tagged payload (worker-protocol §6.4): either an inline <see cref="Blob"/> or an
/// <see cref="ExternalStorage"/> reference to a payload stored outside the database.
/// </summary>
public sealed record PayloadEnvelope
{
    /// <summary>The only public Durable Workflow 2.0 codec; an absent codec means this one.</summary>
    public const string DefaultCodec = "avro";

    /// <summary>
    /// Codecs the server accepts in envelopes. The engine's legacy PHP codecs are left out on purpose: no polyglot
    /// worker can decode them, so accepting one would only park an undecodable payload in history.
    /// </summary>
    public static IReadOnlyList<string> KnownCodecs { get; } = [DefaultCodec];

    private const string CodecKey = "codec";
    private const string BlobKey = "blob";
    private const string ExternalStorageKey = "external_storage";

    [JsonPropertyName(CodecKey)]
    public required string Codec { get; init; }

    [JsonPropertyName(BlobKey)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Blob { get; init; }

    /// <summary>The external payload reference, detached from any request document; treat it as read-only.</summary>
    [JsonPropertyName(ExternalStorageKey)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? ExternalStorage { get; init; }

    public static PayloadEnvelope FromBlob(string blob, string codec = DefaultCodec)
    {
        return new PayloadEnvelope { Codec = codec, Blob = blob };
    }

    /// <summary>
    /// Whether an object is meant as an envelope: its key set is exactly <c>{codec, blob}</c> or
    /// <c>{codec, external_storage}</c>. Any other object is a plain value, whatever its keys look like.
    /// </summary>
    public static bool HasEnvelopeShape([NotNullWhen(true)] JsonNode? node)
    {
        return node is JsonObject map
            && map.Count == 2
            && map.ContainsKey(CodecKey)
            && (map.ContainsKey(BlobKey) || map.ContainsKey(ExternalStorageKey));
    }

    /// <summary>
    /// Reads a well-formed envelope: the envelope shape with a non-empty string codec and a string blob or an object
    /// reference. The codec is not checked against <see cref="KnownCodecs"/>; that is the caller's policy.
    /// </summary>
    public static bool TryParseEnvelope(JsonNode? node, [NotNullWhen(true)] out PayloadEnvelope? envelope)
    {
        envelope = null;
        return HasEnvelopeShape(node) && TryRead(node.AsObject(), out envelope, out _, out _);
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject { [CodecKey] = Codec };
        if (ExternalStorage is not null)
        {
            json[ExternalStorageKey] = ExternalStorage.DeepClone();
        }
        else
        {
            json[BlobKey] = Blob;
        }

        return json;
    }

    /// <summary>Reads an object already known to have the envelope shape, naming the offending key when it is malformed.</summary>
    internal static bool TryRead(
        JsonObject shaped,
        [NotNullWhen(true)] out PayloadEnvelope? envelope,
        [NotNullWhen(false)] out string? invalidKey,
        [NotNullWhen(false)] out string? error)
    {
        envelope = null;
        if (!TryGetString(shaped[CodecKey], out var codec) || codec.Length == 0)
        {
            invalidKey = CodecKey;
            error = "The payload envelope codec must be a non-empty string.";
            return false;
        }

        if (shaped.ContainsKey(BlobKey))
        {
            if (!TryGetString(shaped[BlobKey], out var blob))
            {
                invalidKey = BlobKey;
                error = "The payload envelope blob must be a string.";
                return false;
            }

            envelope = FromBlob(blob, codec);
        }
        else
        {
            if (shaped[ExternalStorageKey] is not JsonObject reference)
            {
                invalidKey = ExternalStorageKey;
                error = "The external payload reference must be an object.";
                return false;
            }

            envelope = new PayloadEnvelope { Codec = codec, ExternalStorage = reference.DeepClone().AsObject() };
        }

        invalidKey = null;
        error = null;
        return true;
    }

    internal static bool TryGetString(JsonNode? node, [NotNullWhen(true)] out string? value)
    {
        value = null;
        return node is JsonValue scalar && scalar.TryGetValue(out value);
    }
}
