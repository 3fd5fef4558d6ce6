using System.Text.Json.Nodes;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Tests.Core.Payloads;

public class PayloadInputTests
{
    private const string OrderArguments = "wwHioz3/VYAiNwwCChBvcmRlci00MgA=";

    [Fact]
    public void an_array_is_encoded_as_the_positional_argument_list()
    {
        var result = PayloadInput.ParseArguments(JsonNode.Parse("[\"order-42\"]"), "input");

        Assert.True(result.IsValid);
        Assert.False(result.NoArguments);
        Assert.Equal(PayloadEnvelope.FromBlob(OrderArguments), result.Envelope);
    }

    [Fact]
    public void an_object_contributes_its_values_in_order()
    {
        Assert.Equal(OrderArguments, PayloadInput.ParseArguments(JsonNode.Parse("{\"order\":\"order-42\"}"), "input").Envelope?.Blob);

        var result = PayloadInput.ParseArguments(JsonNode.Parse("{\"z\":\"first\",\"a\":2,\"m\":{\"nested\":[true]}}"), "input");

        Assert.Equal(AvroValueCodec.Encode(JsonNode.Parse("[\"first\",2,{\"nested\":[true]}]")), result.Envelope?.Blob);
    }

    [Fact]
    public void encoding_leaves_the_request_document_intact()
    {
        var input = JsonNode.Parse("{\"a\":[1,2],\"b\":\"x\"}")!;

        PayloadInput.ParseArguments(input, "input");

        Assert.Equal("{\"a\":[1,2],\"b\":\"x\"}", input.ToJsonString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void null_and_empty_mean_no_arguments(string? json)
    {
        var result = PayloadInput.ParseArguments(json is null ? null : JsonNode.Parse(json), "input");

        Assert.True(result.IsValid);
        Assert.True(result.NoArguments);
        Assert.Null(result.Envelope);
    }

    [Theory]
    [InlineData("\"order-42\"")]
    [InlineData("42")]
    [InlineData("4.2")]
    [InlineData("true")]
    [InlineData("\"wwHioz3/VYAiNwA=\"")]
    public void a_scalar_is_refused(string json)
    {
        var result = PayloadInput.ParseArguments(JsonNode.Parse(json), "input");

        Assert.False(result.IsValid);
        Assert.False(result.NoArguments);
        Assert.Null(result.Envelope);
        Assert.Equal("input", result.ErrorField);
        Assert.Equal("The input field must be an array or an envelope object.", result.Error);
    }

    [Fact]
    public void the_error_names_the_field()
    {
        var result = PayloadInput.ParseArguments(JsonValue.Create(5), "arguments");

        Assert.Equal("arguments", result.ErrorField);
        Assert.Equal("The arguments field must be an array or an envelope object.", result.Error);
    }

    [Theory]
    [InlineData("{\"codec\":\"avro\",\"blob\":\"wwHioz3/VYAiNwwCChBvcmRlci00MgA=\"}")]
    [InlineData("{\"blob\":\"wwHioz3/VYAiNwwA\",\"codec\":\"avro\"}")]
    [InlineData("{\"codec\":\"avro\",\"external_storage\":{\"schema\":\"durable-workflow.v2.external-payload-reference.v1\",\"uri\":\"s3://b/k\",\"sha256\":\"ab\",\"size_bytes\":3,\"codec\":\"avro\"}}")]
    public void an_envelope_passes_through_unchanged(string json)
    {
        var input = JsonNode.Parse(json)!.AsObject();

        var result = PayloadInput.ParseArguments(input, "input");

        Assert.True(result.IsValid);
        Assert.NotNull(result.Envelope);
        if (input.ContainsKey("blob"))
        {
            Assert.Equal(input["blob"]!.GetValue<string>(), result.Envelope.Blob);
        }

        Assert.True(JsonNode.DeepEquals(input, result.Envelope.ToJson()));
    }

    [Theory]
    [InlineData("{\"codec\":\"json\",\"blob\":\"[1]\"}", "input.codec", "Unknown payload codec \"json\". Known codecs: avro.")]
    [InlineData("{\"codec\":\"workflow-serializer-y\",\"blob\":\"x\"}", "input.codec", "Unknown payload codec \"workflow-serializer-y\". Known codecs: avro.")]
    [InlineData("{\"codec\":\"\",\"blob\":\"x\"}", "input.codec", "The payload envelope codec must be a non-empty string.")]
    [InlineData("{\"codec\":1,\"blob\":\"x\"}", "input.codec", "The payload envelope codec must be a non-empty string.")]
    [InlineData("{\"codec\":\"avro\",\"blob\":[1]}", "input.blob", "The payload envelope blob must be a string.")]
    [InlineData("{\"codec\":\"avro\",\"external_storage\":\"s3://b/k\"}", "input.external_storage", "The external payload reference must be an object.")]
    public void a_malformed_envelope_is_refused_on_the_offending_key(string json, string field, string error)
    {
        var result = PayloadInput.ParseArguments(JsonNode.Parse(json), "input");

        Assert.False(result.IsValid);
        Assert.Equal(field, result.ErrorField);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public void an_object_with_an_extra_key_is_arguments_not_an_envelope()
    {
        var result = PayloadInput.ParseArguments(JsonNode.Parse("{\"codec\":\"avro\",\"blob\":\"b\",\"extra\":1}"), "input");

        Assert.Equal(AvroValueCodec.Encode(JsonNode.Parse("[\"avro\",\"b\",1]")), result.Envelope?.Blob);
    }

    [Theory]
    [InlineData("[1e400]")]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("[\"\\ud800\"]")]
    public void unencodable_arguments_are_a_validation_error(string json)
    {
        var result = PayloadInput.ParseArguments(JsonNode.Parse(json), "input");

        Assert.False(result.IsValid);
        Assert.Equal("input", result.ErrorField);
        Assert.StartsWith("The input field cannot be encoded", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "avro")]
    [InlineData("", "avro")]
    [InlineData("avro", "avro")]
    public void a_bare_command_blob_takes_the_payload_codec(string? payloadCodec, string codec)
    {
        var result = PayloadInput.ParseCommandPayload(JsonValue.Create("wwHioz3/VYAiNwA="), payloadCodec, "result");

        Assert.Equal(PayloadEnvelope.FromBlob("wwHioz3/VYAiNwA=", codec), result.Envelope);
    }

    [Fact]
    public void a_command_envelope_is_taken_as_is()
    {
        var result = PayloadInput.ParseCommandPayload(JsonNode.Parse("{\"codec\":\"avro\",\"blob\":\"wwHioz3/VYAiNwA=\"}"), "ignored", "result");

        Assert.Equal(PayloadEnvelope.FromBlob("wwHioz3/VYAiNwA="), result.Envelope);
    }

    [Fact]
    public void a_null_command_payload_is_no_payload()
    {
        var result = PayloadInput.ParseCommandPayload(null, null, "result");

        Assert.True(result.IsValid);
        Assert.True(result.NoArguments);
    }

    [Theory]
    [InlineData("42", "result", "The result field must be a payload blob string or an envelope object.")]
    [InlineData("[\"wwHioz3/VYAiNwA=\"]", "result", "The result field must be a payload blob string or an envelope object.")]
    [InlineData("{\"codec\":\"avro\",\"blob\":\"x\",\"extra\":1}", "result", "The result field must be a payload blob string or an envelope object.")]
    [InlineData("{\"codec\":\"json\",\"blob\":\"x\"}", "result.codec", "Unknown payload codec \"json\". Known codecs: avro.")]
    public void other_command_payloads_are_refused(string json, string field, string error)
    {
        var result = PayloadInput.ParseCommandPayload(JsonNode.Parse(json), null, "result");

        Assert.Equal(field, result.ErrorField);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public void a_bare_command_blob_with_an_unknown_codec_is_refused()
    {
        var result = PayloadInput.ParseCommandPayload(JsonValue.Create("x"), "json", "result");

        Assert.Equal("result", result.ErrorField);
        Assert.Equal("Unknown payload codec \"json\". Known codecs: avro.", result.Error);
    }

    [Fact]
    public void display_decodes_inline_avro_envelopes_only()
    {
        var decoded = PayloadInput.TryDecodeForDisplay(PayloadEnvelope.FromBlob("wwHioz3/VYAiNw4CEGdyZWV0aW5nChRIZWxsbywgQWRhAA=="));
        Assert.Equal("{\"greeting\":\"Hello, Ada\"}", decoded?.ToJsonString());

        Assert.Null(PayloadInput.TryDecodeForDisplay(null));
        Assert.Null(PayloadInput.TryDecodeForDisplay(PayloadEnvelope.FromBlob("not a blob")));
        Assert.Null(PayloadInput.TryDecodeForDisplay(PayloadEnvelope.FromBlob(OrderArguments, "json")));
        Assert.Null(PayloadInput.TryDecodeForDisplay(new PayloadEnvelope { Codec = "avro", ExternalStorage = new JsonObject { ["uri"] = "u" } }));
    }
}
