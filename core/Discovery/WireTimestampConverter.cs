using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Discovery;

/// <summary>Writes instants in the microsecond UTC form (<c>2026-04-25T07:29:50.000000Z</c>) the fleet and repair fields use upstream.</summary>
public sealed class WireTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(
            reader.GetString() ?? throw new JsonException("Expected a timestamp string."),
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(WireTime.Micro(value));
    }
}
