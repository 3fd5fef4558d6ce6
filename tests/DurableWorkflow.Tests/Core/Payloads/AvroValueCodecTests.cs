using System.Text.Json.Nodes;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Tests.Core.Payloads;

public class AvroValueCodecTests
{
    private static readonly byte[] Header = [0xC3, 0x01, 0xE2, 0xA3, 0x3D, 0xFF, 0x55, 0x80, 0x22, 0x37];

    // worker-protocol Appendix A, verified upstream against avro-value-v1-golden.json.
    public static TheoryData<string, string> GoldenVectors => new()
    {
        { "null", "wwHioz3/VYAiNwA=" },
        { "true", "wwHioz3/VYAiNwIB" },
        { "7", "wwHioz3/VYAiNwQO" },
        { "7.0", "wwHioz3/VYAiNwYAAAAAAAAcQA==" },
        { "\"héllo\"", "wwHioz3/VYAiNwoMaMOpbGxv" },
        { "{}", "wwHioz3/VYAiNw4A" },
        { "[]", "wwHioz3/VYAiNwwA" },
        { "[\"Ada\"]", "wwHioz3/VYAiNwwCCgZBZGEA" },
        { "[\"order-42\"]", "wwHioz3/VYAiNwwCChBvcmRlci00MgA=" },
        { "[\"alice\"]", "wwHioz3/VYAiNwwCCgphbGljZQA=" },
        { "\"Hello, Ada\"", "wwHioz3/VYAiNwoUSGVsbG8sIEFkYQ==" },
        { "\"charged:order-42\"", "wwHioz3/VYAiNwogY2hhcmdlZDpvcmRlci00Mg==" },
        { "\"waiting\"", "wwHioz3/VYAiNwoOd2FpdGluZw==" },
        { "{\"greeting\": \"Hello, Ada\"}", "wwHioz3/VYAiNw4CEGdyZWV0aW5nChRIZWxsbywgQWRhAA==" },
        { "{\"status\": \"ready\", \"open_items\": 3}", "wwHioz3/VYAiNw4EDHN0YXR1cwoKcmVhZHkUb3Blbl9pdGVtcwQGAA==" },
        { "{\"order_id\": \"order-42\", \"status\": \"charged\"}", "wwHioz3/VYAiNw4EEG9yZGVyX2lkChBvcmRlci00MgxzdGF0dXMKDmNoYXJnZWQA" },
    };

    [Theory]
    [MemberData(nameof(GoldenVectors))]
    public void golden_values_encode_to_the_exact_blob(string json, string blob)
    {
        Assert.Equal(blob, AvroValueCodec.Encode(JsonNode.Parse(json)));
    }

    [Theory]
    [MemberData(nameof(GoldenVectors))]
    public void golden_blobs_decode_to_the_value(string json, string blob)
    {
        Assert.True(AvroValueCodec.TryDecode(blob, out var value, out var error), error);
        Assert.Null(error);
        Assert.Equal(Text(JsonNode.Parse(json)), Text(value));
    }

    [Theory]
    [InlineData("{\"order\":{\"id\":\"o-1\",\"lines\":[{\"sku\":\"a\",\"qty\":2,\"price\":9.5},{\"sku\":\"b\",\"qty\":1,\"price\":null}]},\"flags\":[true,false],\"empty\":{},\"none\":[]}")]
    [InlineData("[[[[\"deep\"]]],{\"k\":[1,[2,[3]]]}]")]
    [InlineData("\"日本語 🎉 é ß \\u0000 \\\" \\\\\"")]
    [InlineData("{\"ключ\":\"значение\",\"🔑\":\"🎁\",\"\":\"empty key\"}")]
    [InlineData("9223372036854775807")]
    [InlineData("-9223372036854775808")]
    [InlineData("[0,-1,1,-64,63,-65,64,8191,-8192,2147483648,-2147483649]")]
    [InlineData("-0.5")]
    [InlineData("1e300")]
    [InlineData("-1.7976931348623157E+308")]
    [InlineData("5e-324")]
    [InlineData("0.1")]
    public void values_round_trip(string json)
    {
        var original = JsonNode.Parse(json);
        var blob = AvroValueCodec.Encode(original);

        Assert.True(AvroValueCodec.TryDecode(blob, out var decoded, out var error), error);
        Assert.True(JsonNode.DeepEquals(original, decoded), $"{Text(original)} decoded as {Text(decoded)}");
        Assert.Equal(blob, AvroValueCodec.Encode(decoded));
    }

    [Fact]
    public void extreme_longs_take_the_long_branch_with_full_precision()
    {
        foreach (var value in new[] { long.MinValue, long.MaxValue })
        {
            var blob = AvroValueCodec.Encode(JsonValue.Create(value));

            Assert.Equal(0x04, Datum(blob)[0]);
            Assert.True(AvroValueCodec.TryDecode(blob, out var decoded, out _));
            Assert.Equal(value, decoded!.GetValue<long>());
        }
    }

    [Theory]
    [InlineData("7", 0x04)]
    [InlineData("-7", 0x04)]
    [InlineData("7.0", 0x06)]
    [InlineData("7e0", 0x06)]
    [InlineData("7E+2", 0x06)]
    [InlineData("-0.5", 0x06)]
    [InlineData("9223372036854775808", 0x06)]
    [InlineData("-9223372036854775809", 0x06)]
    public void numbers_pick_the_long_or_double_branch_from_their_text(string json, byte branch)
    {
        Assert.Equal(branch, Datum(AvroValueCodec.Encode(JsonNode.Parse(json)))[0]);
    }

    [Fact]
    public void clr_backed_values_encode_like_their_json_counterparts()
    {
        Assert.Equal("wwHioz3/VYAiNwYAAAAAAAAcQA==", AvroValueCodec.Encode(JsonValue.Create(7.0)));
        Assert.Equal("wwHioz3/VYAiNwYAAAAAAAAcQA==", AvroValueCodec.Encode(JsonValue.Create(7.0f)));
        Assert.Equal("wwHioz3/VYAiNwYAAAAAAAAcQA==", AvroValueCodec.Encode(JsonValue.Create(7.0m)));
        Assert.Equal("wwHioz3/VYAiNwQO", AvroValueCodec.Encode(JsonValue.Create(7)));
        Assert.Equal("wwHioz3/VYAiNwQO", AvroValueCodec.Encode(JsonValue.Create(7L)));
        Assert.Equal("wwHioz3/VYAiNwIB", AvroValueCodec.Encode(JsonValue.Create(true)));
        Assert.Equal("wwHioz3/VYAiNwoMaMOpbGxv", AvroValueCodec.Encode(JsonValue.Create("héllo")));
        Assert.Equal(
            "wwHioz3/VYAiNw4EDHN0YXR1cwoKcmVhZHkUb3Blbl9pdGVtcwQGAA==",
            AvroValueCodec.Encode(new JsonObject { ["status"] = "ready", ["open_items"] = 3 }));
    }

    [Fact]
    public void decoded_doubles_keep_their_double_form()
    {
        Assert.True(AvroValueCodec.TryDecode(AvroValueCodec.Encode(JsonNode.Parse("[7.0, -0.0, 1e300]")), out var decoded, out _));

        Assert.Equal("[7.0,-0.0,1E+300]", decoded!.ToJsonString());
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("[1, -1e400]")]
    public void non_finite_numbers_are_refused_on_encode(string json)
    {
        Assert.ThrowsAny<ArgumentException>(() => AvroValueCodec.Encode(JsonNode.Parse(json)));
    }

    [Fact]
    public void non_finite_clr_doubles_and_unpaired_surrogates_are_refused_on_encode()
    {
        Assert.ThrowsAny<ArgumentException>(() => AvroValueCodec.Encode(JsonValue.Create(double.NaN)));
        Assert.ThrowsAny<ArgumentException>(() => AvroValueCodec.Encode(JsonValue.Create(double.PositiveInfinity)));
        Assert.ThrowsAny<ArgumentException>(() => AvroValueCodec.Encode(JsonNode.Parse("\"\\ud800\"")));
        Assert.ThrowsAny<ArgumentException>(() => AvroValueCodec.Encode(JsonValue.Create("\ud800")));
    }

    [Fact]
    public void negative_block_counts_with_a_byte_size_are_accepted()
    {
        // Array: one block of -2 items (byte size 4), then long 1 and long 2.
        Assert.Equal("[1,2]", Decode(0x0C, 0x03, 0x08, 0x04, 0x02, 0x04, 0x04, 0x00));

        // Map: one block of -1 entry (byte size 3): "a" => null.
        Assert.Equal("{\"a\":null}", Decode(0x0E, 0x01, 0x06, 0x02, 0x61, 0x00, 0x00));
    }

    [Fact]
    public void several_blocks_concatenate()
    {
        Assert.Equal("[1,2,3]", Decode(0x0C, 0x02, 0x04, 0x02, 0x03, 0x02, 0x04, 0x04, 0x04, 0x06, 0x00));
        Assert.Equal("{\"a\":1,\"b\":2}", Decode(0x0E, 0x02, 0x02, 0x61, 0x04, 0x02, 0x02, 0x02, 0x62, 0x04, 0x04, 0x00));
    }

    [Fact]
    public void a_repeated_map_key_keeps_the_last_value()
    {
        Assert.Equal("{\"a\":2}", Decode(0x0E, 0x04, 0x02, 0x61, 0x04, 0x02, 0x02, 0x61, 0x04, 0x04, 0x00));
    }

    [Fact]
    public void the_bytes_branch_decodes_to_base64()
    {
        Assert.Equal("\"AQID\"", Decode(0x08, 0x06, 0x01, 0x02, 0x03));
    }

    [Fact]
    public void non_canonical_varints_are_accepted()
    {
        // Long 7 written with a redundant continuation byte.
        Assert.Equal("7", Decode(0x04, 0x8E, 0x00));
    }

    [Fact]
    public void nesting_up_to_the_limit_decodes_and_beyond_it_is_refused()
    {
        Assert.True(AvroValueCodec.TryDecode(AvroValueCodec.Encode(Nested(AvroValueCodec.MaxDepth)), out _, out var error), error);

        Assert.False(AvroValueCodec.TryDecode(AvroValueCodec.Encode(Nested(AvroValueCodec.MaxDepth + 1)), out _, out error));
        Assert.Contains("deeper", error);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "not base64!", "base64" },
        { "", "marker" },
        { Convert.ToBase64String([0xC3]), "marker" },
        { Convert.ToBase64String([0xC3, 0x02, .. Header[2..], 0x00]), "marker" },
        { Convert.ToBase64String([0x00, 0x01, .. Header[2..], 0x00]), "marker" },
        { Convert.ToBase64String([0xC3, 0x01, 0xE2, 0xA3]), "truncated" },
        { Convert.ToBase64String([.. Header[..9], 0x38, 0x00]), "fingerprint" },
        { Convert.ToBase64String(Header), "truncated" },
        { Blob(0x0C, 0x02, 0x0A, 0x06, 0x41, 0x64, 0x61), "truncated" },
        { Blob(0x0C, 0x02, 0x0A, 0x06, 0x41, 0x64), "truncated" },
        { Blob(0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1C), "truncated" },
        { Blob(0x00, 0x00), "trailing" },
        { Blob(0x0C, 0x02, 0x0A, 0x06, 0x41, 0x64, 0x61, 0x00, 0x00), "trailing" },
        { Blob(0x10), "branch" },
        { Blob(0x01), "branch" },
        { Blob(0x02, 0x02), "boolean" },
        { Blob(0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x7F), "non-finite" },
        { Blob(0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x7F), "non-finite" },
        { Blob(0x0A, 0x02, 0xFF), "UTF-8" },
        { Blob(0x0A, 0x01), "negative" },
        { Blob(0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02), "64 bits" },
        { Blob(0x0C, 0x01, 0x01, 0x00), "block" },
        { Blob(0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00), "block" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void malformed_blobs_are_refused_with_a_reason(string blob, string reason)
    {
        Assert.False(AvroValueCodec.TryDecode(blob, out var value, out var error));
        Assert.Null(value);
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    private static string Text(JsonNode? node)
    {
        return node?.ToJsonString() ?? "null";
    }

    private static byte[] Datum(string blob)
    {
        return Convert.FromBase64String(blob)[Header.Length..];
    }

    private static string Blob(params byte[] datum)
    {
        return Convert.ToBase64String([.. Header, .. datum]);
    }

    private static string Decode(params byte[] datum)
    {
        Assert.True(AvroValueCodec.TryDecode(Blob(datum), out var value, out var error), error);
        return Text(value);
    }

    private static JsonNode Nested(int levels)
    {
        JsonNode node = new JsonArray();
        for (var level = 1; level < levels; level++)
        {
            node = new JsonArray(node);
        }

        return node;
    }
}
