using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Tests.Core.Payloads;

public class PayloadEnvelopeTests
{
    private const string Reference =
        "{\"schema\":\"durable-workflow.v2.external-payload-reference.v1\",\"uri\":\"s3://bucket/key\",\"sha256\":\"" +
        "0000000000000000000000000000000000000000000000000000000000000000\",\"size_bytes\":12,\"codec\":\"avro\"}";

    [Theory]
    [InlineData("{\"codec\":\"avro\",\"blob\":\"wwHioz3/VYAiNwA=\"}")]
    [InlineData("{\"blob\":\"wwHioz3/VYAiNwA=\",\"codec\":\"avro\"}")]
    [InlineData("{\"codec\":\"json\",\"blob\":\"not even base64\"}")]
    public void codec_and_blob_make_an_inline_envelope(string json)
    {
        var node = JsonNode.Parse(json);

        Assert.True(PayloadEnvelope.TryParseEnvelope(node, out var envelope));
        Assert.Equal(node!["codec"]!.GetValue<string>(), envelope.Codec);
        Assert.Equal(node["blob"]!.GetValue<string>(), envelope.Blob);
        Assert.Null(envelope.ExternalStorage);
    }

    [Fact]
    public void codec_and_external_storage_make_an_external_envelope()
    {
        var node = JsonNode.Parse($"{{\"external_storage\":{Reference},\"codec\":\"avro\"}}")!;

        Assert.True(PayloadEnvelope.TryParseEnvelope(node, out var envelope));
        Assert.Equal("avro", envelope.Codec);
        Assert.Null(envelope.Blob);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Reference), envelope.ExternalStorage));

        // The envelope owns a copy, so later edits to the request document do not leak into it.
        node["external_storage"]!["uri"] = "changed";
        Assert.Equal("s3://bucket/key", envelope.ExternalStorage!["uri"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"codec\":\"avro\",\"blob\":\"x\",\"extra\":1}")]
    [InlineData("{\"codec\":\"avro\",\"blob\":\"x\",\"external_storage\":{}}")]
    [InlineData("{\"codec\":\"avro\"}")]
    [InlineData("{\"blob\":\"x\"}")]
    [InlineData("{\"codec\":\"avro\",\"payload\":\"x\"}")]
    [InlineData("{\"Codec\":\"avro\",\"blob\":\"x\"}")]
    [InlineData("{}")]
    [InlineData("[\"avro\",\"x\"]")]
    [InlineData("\"wwHioz3/VYAiNwA=\"")]
    [InlineData("null")]
    public void other_shapes_are_plain_values(string json)
    {
        var node = JsonNode.Parse(json);

        Assert.False(PayloadEnvelope.HasEnvelopeShape(node));
        Assert.False(PayloadEnvelope.TryParseEnvelope(node, out var envelope));
        Assert.Null(envelope);
    }

    [Theory]
    [InlineData("{\"codec\":\"avro\",\"blob\":5}")]
    [InlineData("{\"codec\":\"avro\",\"blob\":null}")]
    [InlineData("{\"codec\":5,\"blob\":\"x\"}")]
    [InlineData("{\"codec\":\"\",\"blob\":\"x\"}")]
    [InlineData("{\"codec\":\"avro\",\"external_storage\":\"s3://x\"}")]
    public void envelope_shaped_objects_with_wrong_types_do_not_parse(string json)
    {
        var node = JsonNode.Parse(json);

        Assert.True(PayloadEnvelope.HasEnvelopeShape(node));
        Assert.False(PayloadEnvelope.TryParseEnvelope(node, out _));
    }

    [Fact]
    public void to_json_writes_exactly_the_envelope_keys()
    {
        var inline = PayloadEnvelope.FromBlob("wwHioz3/VYAiNwA=");
        Assert.Equal("{\"codec\":\"avro\",\"blob\":\"wwHioz3/VYAiNwA=\"}", inline.ToJson().ToJsonString());

        Assert.True(PayloadEnvelope.TryParseEnvelope(JsonNode.Parse($"{{\"codec\":\"avro\",\"external_storage\":{Reference}}}"), out var external));
        var json = external.ToJson();
        Assert.Equal(new[] { "codec", "external_storage" }, json.Select(pair => pair.Key));
        Assert.NotSame(external.ExternalStorage, json["external_storage"]);

        // ToJson hands out a fresh document every time, so it can be attached to several responses.
        Assert.True(JsonNode.DeepEquals(json, external.ToJson()));
    }

    [Fact]
    public void serialisation_omits_the_absent_alternative()
    {
        Assert.Equal(
            "{\"codec\":\"avro\",\"blob\":\"b\"}",
            JsonSerializer.Serialize(PayloadEnvelope.FromBlob("b")));
        Assert.Equal(
            "{\"codec\":\"avro\",\"external_storage\":{\"uri\":\"u\"}}",
            JsonSerializer.Serialize(new PayloadEnvelope { Codec = "avro", ExternalStorage = new JsonObject { ["uri"] = "u" } }));
    }

    [Fact]
    public void avro_is_the_default_and_only_known_codec()
    {
        Assert.Equal("avro", PayloadEnvelope.DefaultCodec);
        Assert.Equal(new[] { "avro" }, PayloadEnvelope.KnownCodecs);
        Assert.Equal("avro", PayloadEnvelope.FromBlob("b").Codec);
    }
}
