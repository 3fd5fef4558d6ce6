using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.SearchAttributes;

/// <summary><c>GET /api/search-attributes</c> (control-plane spec §6.1).</summary>
public sealed record SearchAttributeListResponse(
    [property: JsonPropertyName("system_attributes")] IReadOnlyDictionary<string, string> SystemAttributes,
    [property: JsonPropertyName("custom_attributes")] IReadOnlyDictionary<string, string> CustomAttributes);

/// <summary><c>POST /api/search-attributes</c> 201 (§6.2).</summary>
public sealed record SearchAttributeCreatedResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("outcome")] string Outcome);

/// <summary><c>DELETE /api/search-attributes/{name}</c> 200 (§6.3).</summary>
public sealed record SearchAttributeDeletedResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("outcome")] string Outcome);
