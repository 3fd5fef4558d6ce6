using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// A static contract manifest: clients key on <c>schema</c> and <c>version</c>; the descriptive body is written flat
/// next to them.
/// </summary>
[JsonConverter(typeof(ContractManifestConverter))]
public sealed record ContractManifest
{
    public required string Schema { get; init; }

    public required int Version { get; init; }

    public required JsonObject Body { get; init; }
}

/// <summary>
/// Flattens <see cref="ContractManifest.Body"/> into the manifest object. A converter, because System.Text.Json
/// writes a <see cref="JsonObject"/> extension-data member as a nested object instead of as properties.
/// </summary>
internal sealed class ContractManifestConverter : JsonConverter<ContractManifest>
{
    public override ContractManifest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Contract manifests are published, never read.");

    public override void Write(Utf8JsonWriter writer, ContractManifest value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString("schema", value.Schema);
        writer.WriteNumber("version", value.Version);
        foreach (var (name, node) in value.Body)
        {
            writer.WritePropertyName(name);
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer, options);
            }
        }

        writer.WriteEndObject();
    }
}
