using System.Text.Json.Nodes;
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

    /// <summary>Ready iff every check is <c>ok</c> or <c>warning</c> (rollout contract §4.2, invariant 55).</summary>
    public static ReadinessReport Decide(ReadinessChecks checks, string timestamp)
    {
        ArgumentNullException.ThrowIfNull(checks);
        return new ReadinessReport(checks.All.All(c => c.KeepsNodeReady) ? "ready" : "not_ready", timestamp, checks);
    }
}

public sealed record ReadinessChecks(
    [property: JsonPropertyName("database")] CheckResult Database,
    [property: JsonPropertyName("migrations")] CheckResult Migrations,
    [property: JsonPropertyName("default_namespace")] CheckResult DefaultNamespace,
    [property: JsonPropertyName("cache")] CheckResult Cache,
    [property: JsonPropertyName("auth")] CheckResult Auth,
    [property: JsonPropertyName("workflow_v2")] CheckResult WorkflowV2)
{
    [JsonIgnore]
    public IEnumerable<(string Name, CheckResult Check)> Named =>
        [("database", Database), ("migrations", Migrations), ("default_namespace", DefaultNamespace), ("cache", Cache),
         ("auth", Auth), ("workflow_v2", WorkflowV2)];

    [JsonIgnore]
    public IEnumerable<CheckResult> All => Named.Select(n => n.Check);
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

    [JsonPropertyName("blocked_by")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? BlockedBy { get; init; }

    [JsonPropertyName("http_status")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? HttpStatus { get; init; }

    [JsonPropertyName("categories")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Categories { get; init; }

    [JsonPropertyName("warning_checks")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? WarningChecks { get; init; }

    [JsonPropertyName("error_checks")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ErrorChecks { get; init; }

    [JsonPropertyName("checks")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonArray? Checks { get; init; }

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
