using System.Text.Json;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Namespaces;

public sealed record NamespaceRecord(
    string Name,
    string? Description,
    int RetentionDays,
    string Status,
    JsonElement? ExternalPayloadStorage,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>
/// The namespace object on the wire. Create omits <c>updated_at</c> and update omits <c>created_at</c>, as upstream does,
/// so those two are written only when set.
/// </summary>
public sealed record NamespaceResponse
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("retention_days")]
    public int RetentionDays { get; init; }

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("external_payload_storage")]
    public JsonElement? ExternalPayloadStorage { get; init; }

    [JsonPropertyName("created_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CreatedAt { get; init; }

    [JsonPropertyName("updated_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UpdatedAt { get; init; }

    public static NamespaceResponse Full(NamespaceRecord record) => new()
    {
        Name = record.Name,
        Description = record.Description,
        RetentionDays = record.RetentionDays,
        Status = record.Status,
        ExternalPayloadStorage = record.ExternalPayloadStorage,
        CreatedAt = WireTime.Offset(record.CreatedAt),
        UpdatedAt = WireTime.Offset(record.UpdatedAt),
    };
}

public sealed record NamespaceListResponse([property: JsonPropertyName("namespaces")] IReadOnlyList<NamespaceResponse> Namespaces);
