using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Payloads;

/// <summary>
/// The <c>avro</c> payload codec: standard base64 of the Avro single-object encoding of the fixed
/// <c>durable_workflow.protocol.Value</c> union (worker-protocol §6.4, Appendix A). The server only needs it for
/// control-plane conveniences (plain-JSON <c>input</c>, decoded values in describe); worker payloads stay opaque.
/// </summary>
public static class AvroValueCodec
{
    /// <summary>
    /// Deepest container nesting accepted when decoding. It equals System.Text.Json's default, so every decoded value
    /// can also be written back out in a response, and a hostile blob cannot exhaust the stack.
    /// </summary>
    public const int MaxDepth = 64;

    // Single-object marker C3 01, then the CRC-64-AVRO fingerprint of durable_workflow.protocol.Value.
    private static readonly byte[] Header = [0xC3, 0x01, 0xE2, 0xA3, 0x3D, 0xFF, 0x55, 0x80, 0x22, 0x37];
    private const int MagicLength = 2;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Union branch indexes, in schema order.
    private const long NullBranch = 0;
    private const long BooleanBranch = 1;
    private const long LongBranch = 2;
    private const long DoubleBranch = 3;
    private const long BytesBranch = 4;
    private const long StringBranch = 5;
    private const long ArrayBranch = 6;
    private const long MapBranch = 7;

    /// <summary>
    /// Encodes a JSON value. Integers that fit a signed 64-bit long take the long branch; every other number (a
    /// fraction, an exponent such as <c>7.0</c> or <c>1e3</c>, or an integer beyond long) takes the double branch, as
    /// the SDKs' JSON decoders would type them.
    /// </summary>
    /// <exception cref="ArgumentException">The value holds a non-finite number, invalid UTF-16 or a duplicate key.</exception>
    public static string Encode(JsonNode? value)
    {
        using var output = new MemoryStream();
        output.Write(Header);
        WriteNode(output, value);
        return Convert.ToBase64String(output.GetBuffer(), 0, (int)output.Length);
    }

    /// <summary>
    /// Decodes a blob. The bytes branch has no JSON counterpart, so it decodes to a standard base64 string; the SDKs
    /// never produce it from JSON-native values. Doubles decode to a JSON number that keeps a fraction or exponent
    /// (<c>7.0</c>), so describe output matches the SDKs and re-encoding picks the double branch again.
    /// </summary>
    public static bool TryDecode(string blob, out JsonNode? value, out string? error)
    {
        value = null;
        var bytes = new byte[(blob.Length + 3) / 4 * 3];
        if (!Convert.TryFromBase64String(blob, bytes, out var length))
        {
            error = "The payload blob is not valid base64.";
            return false;
        }

        try
        {
            var reader = new Reader(bytes, length);
            reader.ReadHeader();
            value = reader.ReadValue(depth: 0);
            reader.EnsureEnd();
            error = null;
            return true;
        }
        catch (InvalidPayloadException ex)
        {
            value = null;
            error = ex.Message;
            return false;
        }
    }

    private static void WriteNode(MemoryStream output, JsonNode? node)
    {
        switch (node)
        {
            case null:
                WriteLong(output, NullBranch);
                break;
            case JsonObject map:
                WriteLong(output, MapBranch);
                if (map.Count > 0)
                {
                    WriteLong(output, map.Count);
                    foreach (var (key, item) in map)
                    {
                        WriteString(output, key);
                        WriteNode(output, item);
                    }
                }

                WriteLong(output, 0);
                break;
            case JsonArray array:
                WriteLong(output, ArrayBranch);
                if (array.Count > 0)
                {
                    WriteLong(output, array.Count);
                    foreach (var item in array)
                    {
                        WriteNode(output, item);
                    }
                }

                WriteLong(output, 0);
                break;
            default:
                WriteValue(output, node.AsValue());
                break;
        }
    }

    private static void WriteValue(MemoryStream output, JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            WriteElement(output, element);
            return;
        }

        // A CLR double serialises 7.0 as "7", so its type, not its text, says it is a double.
        if (value.TryGetValue<double>(out var number))
        {
            WriteDouble(output, number);
            return;
        }

        if (value.TryGetValue<float>(out var single))
        {
            WriteDouble(output, single);
            return;
        }

        // Serialising would silently turn an unpaired surrogate into U+FFFD; strict UTF-8 refuses it instead.
        if (value.TryGetValue<string>(out var text))
        {
            WriteLong(output, StringBranch);
            WriteString(output, text);
            return;
        }

        // Any other CLR-backed value (integers, decimals, dates, objects) is exactly what its JSON text says.
        WriteNode(output, JsonNode.Parse(value.ToJsonString()));
    }

    private static void WriteElement(MemoryStream output, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                WriteLong(output, NullBranch);
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                WriteLong(output, BooleanBranch);
                output.WriteByte(element.ValueKind == JsonValueKind.True ? (byte)1 : (byte)0);
                break;
            case JsonValueKind.String:
                WriteLong(output, StringBranch);
                WriteString(output, ReadElementString(element));
                break;
            case JsonValueKind.Number:
                WriteNumber(output, element);
                break;
            case JsonValueKind.Object:
                WriteNode(output, JsonObject.Create(element));
                break;
            case JsonValueKind.Array:
                WriteNode(output, JsonArray.Create(element));
                break;
            default:
                throw new ArgumentException($"A JSON value of kind {element.ValueKind} cannot be encoded.");
        }
    }

    private static void WriteNumber(MemoryStream output, JsonElement element)
    {
        // The raw text is the only place "7.0" differs from "7"; both parse to the same long.
        var integral = element.GetRawText().AsSpan().IndexOfAny('.', 'e', 'E') < 0;
        if (integral && element.TryGetInt64(out var integer))
        {
            WriteLong(output, LongBranch);
            WriteLong(output, integer);
            return;
        }

        WriteDouble(output, element.GetDouble());
    }

    private static string ReadElementString(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException("A JSON string holds an unpaired surrogate and cannot be encoded as UTF-8.", ex);
        }
    }

    private static void WriteDouble(MemoryStream output, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("A number is outside the range of a finite double and cannot be encoded.");
        }

        WriteLong(output, DoubleBranch);
        Span<byte> bytes = stackalloc byte[sizeof(double)];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        output.Write(bytes);
    }

    private static void WriteString(MemoryStream output, string value)
    {
        var bytes = StrictUtf8.GetBytes(value);
        WriteLong(output, bytes.Length);
        output.Write(bytes);
    }

    private static void WriteLong(MemoryStream output, long value)
    {
        var zigZag = (ulong)((value << 1) ^ (value >> 63));
        while (zigZag >= 0x80)
        {
            output.WriteByte((byte)(zigZag | 0x80));
            zigZag >>= 7;
        }

        output.WriteByte((byte)zigZag);
    }

    private static JsonValue DoubleNode(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.AsSpan().IndexOfAny('.', 'E') < 0)
        {
            text += ".0";
        }

        // Only a JSON null element yields no node, and the text is a number.
        return JsonValue.Create(JsonElement.Parse(text))!;
    }

    /// <summary>Reads one blob; every malformation surfaces as <see cref="InvalidPayloadException"/>.</summary>
    private sealed class Reader(byte[] data, int length)
    {
        private int position;

        private int Remaining => length - position;

        public void ReadHeader()
        {
            if (length < MagicLength || !data.AsSpan(0, MagicLength).SequenceEqual(Header.AsSpan(0, MagicLength)))
            {
                throw new InvalidPayloadException("The payload does not start with the Avro single-object marker C3 01.");
            }

            if (length < Header.Length)
            {
                throw Truncated();
            }

            var fingerprint = data.AsSpan(MagicLength, Header.Length - MagicLength);
            if (!fingerprint.SequenceEqual(Header.AsSpan(MagicLength)))
            {
                throw new InvalidPayloadException(
                    $"The payload schema fingerprint {Convert.ToHexStringLower(fingerprint)} is not durable_workflow.protocol.Value (e2a33dff55802237).");
            }

            position = Header.Length;
        }

        public void EnsureEnd()
        {
            if (Remaining > 0)
            {
                throw new InvalidPayloadException($"The payload has {Remaining} trailing byte(s) after the value.");
            }
        }

        public JsonNode? ReadValue(int depth)
        {
            var branch = ReadLong();
            return branch switch
            {
                NullBranch => null,
                BooleanBranch => JsonValue.Create(ReadBoolean()),
                LongBranch => JsonValue.Create(ReadLong()),
                DoubleBranch => DoubleNode(ReadDouble()),
                BytesBranch => JsonValue.Create(Convert.ToBase64String(ReadSpan(ReadLength()))),
                StringBranch => JsonValue.Create(ReadString()),
                ArrayBranch => ReadArray(depth),
                MapBranch => ReadMap(depth),
                _ => throw new InvalidPayloadException($"The payload names union branch {branch}; durable_workflow.protocol.Value has 0 to 7."),
            };
        }

        private JsonArray ReadArray(int depth)
        {
            EnsureDepth(depth);
            var array = new JsonArray();
            for (var count = ReadBlockCount(); count != 0; count = ReadBlockCount())
            {
                for (long i = 0; i < count; i++)
                {
                    array.Add(ReadValue(depth + 1));
                }
            }

            return array;
        }

        private JsonObject ReadMap(int depth)
        {
            EnsureDepth(depth);
            var map = new JsonObject();
            for (var count = ReadBlockCount(); count != 0; count = ReadBlockCount())
            {
                for (long i = 0; i < count; i++)
                {
                    var key = ReadString();

                    // A repeated key keeps the last value, as the SDKs' dict/array decoders do.
                    map[key] = ReadValue(depth + 1);
                }
            }

            return map;
        }

        private static void EnsureDepth(int depth)
        {
            if (depth >= MaxDepth)
            {
                throw new InvalidPayloadException($"The payload nests containers deeper than {MaxDepth} levels.");
            }
        }

        private long ReadBlockCount()
        {
            var count = ReadLong();
            if (count >= 0)
            {
                return count;
            }

            // A negative count -n announces n items preceded by the block's byte size, which only skipping readers need.
            if (count == long.MinValue || ReadLong() < 0)
            {
                throw new InvalidPayloadException("The payload has a malformed array or map block header.");
            }

            return -count;
        }

        private bool ReadBoolean()
        {
            return ReadSpan(1)[0] switch
            {
                0 => false,
                1 => true,
                var other => throw new InvalidPayloadException($"The payload has boolean byte {other}; only 0 and 1 are valid."),
            };
        }

        private double ReadDouble()
        {
            var value = BinaryPrimitives.ReadDoubleLittleEndian(ReadSpan(sizeof(double)));
            if (!double.IsFinite(value))
            {
                throw new InvalidPayloadException("The payload holds a non-finite double, which has no JSON representation.");
            }

            return value;
        }

        private string ReadString()
        {
            var bytes = ReadSpan(ReadLength());
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidPayloadException("The payload holds a string that is not valid UTF-8.");
            }
        }

        private int ReadLength()
        {
            var size = ReadLong();
            if (size < 0)
            {
                throw new InvalidPayloadException("The payload has a negative string or bytes length.");
            }

            if (size > Remaining)
            {
                throw Truncated();
            }

            return (int)size;
        }

        private ReadOnlySpan<byte> ReadSpan(int count)
        {
            if (count > Remaining)
            {
                throw Truncated();
            }

            var span = data.AsSpan(position, count);
            position += count;
            return span;
        }

        private long ReadLong()
        {
            ulong zigZag = 0;
            for (var shift = 0; ; shift += 7)
            {
                var current = ReadSpan(1)[0];

                // The tenth byte carries bit 63 only; anything more overflows a long.
                if (shift == 63 && current > 1)
                {
                    throw new InvalidPayloadException("The payload has a varint longer than 64 bits.");
                }

                zigZag |= (ulong)(current & 0x7F) << shift;
                if ((current & 0x80) == 0)
                {
                    return (long)(zigZag >> 1) ^ -(long)(zigZag & 1);
                }
            }
        }

        private static InvalidPayloadException Truncated()
        {
            return new InvalidPayloadException("The payload is truncated.");
        }
    }

    private sealed class InvalidPayloadException(string message) : Exception(message);
}
