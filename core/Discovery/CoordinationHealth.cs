using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// <c>coordination_health</c> (§2.3.10): the worst check decides <c>status</c>, and only <c>error</c> turns
/// <c>http_status</c> into 503.
/// </summary>
public sealed record CoordinationHealth
{
    public const string Ok = "ok";
    public const string Warning = "warning";
    public const string Error = "error";

    [JsonPropertyName("schema")]
    public string Schema { get; init; } = ContractSchemas.CoordinationHealth;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("namespace_scope")]
    public string NamespaceScope { get; init; } = "all_namespaces";

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("http_status")]
    public required int HttpStatus { get; init; }

    [JsonPropertyName("generated_at")]
    [JsonConverter(typeof(WireTimestampConverter))]
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Category → number of checks in it.</summary>
    [JsonPropertyName("categories")]
    public required IReadOnlyDictionary<string, int> Categories { get; init; }

    [JsonPropertyName("warning_checks")]
    public required IReadOnlyList<string> WarningChecks { get; init; }

    [JsonPropertyName("error_checks")]
    public required IReadOnlyList<string> ErrorChecks { get; init; }

    [JsonPropertyName("checks")]
    public required IReadOnlyList<CoordinationCheck> Checks { get; init; }

    public static CoordinationHealth FromChecks(IReadOnlyList<CoordinationCheck> checks, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var errors = checks.Where(c => c.Status == Error).Select(c => c.Name).ToArray();
        var warnings = checks.Where(c => c.Status == Warning).Select(c => c.Name).ToArray();
        var status = errors.Length > 0 ? Error : warnings.Length > 0 ? Warning : Ok;
        return new CoordinationHealth
        {
            Status = status,
            HttpStatus = status == Error ? 503 : 200,
            GeneratedAt = generatedAt,
            Categories = checks.GroupBy(c => c.Category).ToDictionary(g => g.Key, g => g.Count()).AsReadOnly(),
            WarningChecks = warnings,
            ErrorChecks = errors,
            Checks = checks,
        };
    }
}

/// <param name="Status"><c>ok</c>, <c>warning</c> or <c>error</c>.</param>
/// <param name="Category"><c>correctness</c> or <c>acceleration</c>.</param>
public sealed record CoordinationCheck(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("message")] string Message);
