using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Readiness;

/// <summary>The <c>/api/ready</c> body: 200 when <see cref="Ready"/>, 503 otherwise.</summary>
public sealed record ReadinessReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("checks")] ReadinessChecks Checks)
{
    [JsonIgnore]
    public bool Ready => Status == "ready";
}

public sealed record ReadinessChecks(
    [property: JsonPropertyName("database")] CheckResult Database,
    [property: JsonPropertyName("migrations")] CheckResult Migrations,
    [property: JsonPropertyName("default_namespace")] CheckResult DefaultNamespace,
    [property: JsonPropertyName("cache")] CheckResult Cache,
    [property: JsonPropertyName("auth")] CheckResult Auth)
{
    [JsonIgnore]
    public IEnumerable<CheckResult> All => [Database, Migrations, DefaultNamespace, Cache, Auth];
}

/// <summary>One readiness check. Only <c>ok</c> and <c>warning</c> keep a node in rotation.</summary>
public sealed record CheckResult
{
    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("message")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    [JsonPropertyName("namespace")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Namespace { get; init; }

    [JsonPropertyName("store")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Store { get; init; }

    [JsonPropertyName("shared")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Shared { get; init; }

    [JsonPropertyName("driver")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Driver { get; init; }

    [JsonPropertyName("missing_tables")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? MissingTables { get; init; }

    [JsonPropertyName("pending_migrations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? PendingMigrations { get; init; }

    [JsonPropertyName("correctness_substrate")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CorrectnessSubstrate { get; init; }

    [JsonPropertyName("degraded_capability")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DegradedCapability { get; init; }

    [JsonPropertyName("remediation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Remediation { get; init; }

    [JsonIgnore]
    public bool KeepsNodeReady => Status is "ok" or "warning";

    public static CheckResult Ok { get; } = new() { Status = "ok" };

    public static CheckResult Unavailable(string message) => new() { Status = "unavailable", Message = message };
}

/// <summary>The <c>/api/health</c> body: liveness plus a database connect probe, as the clients' health calls expect.</summary>
public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("checks")] HealthChecks Checks)
{
    [JsonIgnore]
    public bool Serving => Status == "serving";
}

public sealed record HealthChecks([property: JsonPropertyName("database")] string Database);
