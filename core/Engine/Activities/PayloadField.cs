using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>Payload fields of activity requests: <c>result</c> and <c>failure.details</c>.</summary>
public static class PayloadField
{
    /// <summary>
    /// A blob string or an envelope goes through <see cref="PayloadInput.ParseCommandPayload"/>; any other JSON value (the
    /// CLI sends plain JSON) is encoded as the single Avro value the SDKs would have sent.
    /// </summary>
    public static PayloadInputResult Parse(JsonNode? node, string field)
    {
        if (node is null || node.GetValueKind() == JsonValueKind.String || PayloadEnvelope.HasEnvelopeShape(node))
        {
            return PayloadInput.ParseCommandPayload(node, null, field);
        }

        try
        {
            return PayloadInputResult.Of(PayloadEnvelope.FromBlob(AvroValueCodec.Encode(node)));
        }
        catch (ArgumentException ex)
        {
            return PayloadInputResult.Invalid(field, $"The {field} field cannot be encoded: {ex.Message}");
        }
    }
}
