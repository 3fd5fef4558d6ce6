using System.Text.Json.Serialization;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// <c>topology</c> in cluster info (§2.3.9, rollout contract §1.2): which deployment shape this node belongs to and
/// which roles it hosts. The CLI renders the catalog entries of the current roles, their write authority, scaling
/// notes and failure domains.
/// </summary>
public sealed record TopologySnapshot
{
    [JsonPropertyName("schema")]
    public string Schema { get; init; } = ContractSchemas.RoleTopology;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 4;

    [JsonPropertyName("supported_shapes")]
    public IReadOnlyList<string> SupportedShapes { get; init; } = TopologyCatalog.Shapes;

    [JsonPropertyName("role_vocabulary")]
    public IReadOnlyList<string> RoleVocabulary { get; init; } = TopologyCatalog.RoleVocabulary;

    [JsonPropertyName("current_shape")]
    public required string CurrentShape { get; init; }

    [JsonPropertyName("current_process_class")]
    public required string CurrentProcessClass { get; init; }

    [JsonPropertyName("current_roles")]
    public required IReadOnlyList<string> CurrentRoles { get; init; }

    /// <summary>Always remote: this server runs no user code, workers poll it over HTTP.</summary>
    [JsonPropertyName("execution_mode")]
    public string ExecutionMode { get; init; } = "remote_worker_protocol";

    [JsonPropertyName("matching_role")]
    public required MatchingRoleSnapshot MatchingRole { get; init; }

    [JsonPropertyName("role_catalog")]
    public required IReadOnlyDictionary<string, RoleDescriptor> RoleCatalog { get; init; }

    [JsonPropertyName("authority_boundaries")]
    public IReadOnlyDictionary<string, AuthorityBoundary> AuthorityBoundaries { get; init; } = RoleManifest.AuthorityBoundaries;

    [JsonPropertyName("scaling_boundaries")]
    public IReadOnlyDictionary<string, string> ScalingBoundaries { get; init; } = RoleManifest.ScalingBoundaries;

    [JsonPropertyName("failure_domains")]
    public IReadOnlyDictionary<string, FailureDomain> FailureDomains { get; init; } = RoleManifest.FailureDomains;

    public static TopologySnapshot From(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var currentRoles = TopologyCatalog.RolesOf(settings.TopologyShape, settings.ProcessClass);
        return new TopologySnapshot
        {
            CurrentShape = settings.TopologyShape,
            CurrentProcessClass = settings.ProcessClass,
            CurrentRoles = currentRoles,
            MatchingRole = MatchingRoleSnapshot.From(settings),
            RoleCatalog = RoleManifest.Catalog(currentRoles),
        };
    }
}

public sealed record RoleDescriptor(
    [property: JsonPropertyName("plane")] string Plane,
    [property: JsonPropertyName("hosted_by_current_node")] bool HostedByCurrentNode,
    [property: JsonPropertyName("runs_user_code")] bool RunsUserCode,
    [property: JsonPropertyName("accepts_external_http")] bool AcceptsExternalHttp,
    [property: JsonPropertyName("steady_state_interface")] string SteadyStateInterface);

/// <summary>The durable state a role is allowed to write; anything else it changes goes through another role.</summary>
public sealed record AuthorityBoundary([property: JsonPropertyName("writes")] IReadOnlyList<string> Writes);

public sealed record FailureDomain(
    [property: JsonPropertyName("operator_signal")] string OperatorSignal,
    [property: JsonPropertyName("effect")] string Effect);

/// <summary>Static per-role facts, keyed in <see cref="TopologyCatalog.RoleVocabulary"/> order.</summary>
internal static class RoleManifest
{
    private static readonly (string Role, string Plane, bool RunsUserCode, bool AcceptsExternalHttp, string Interface)[] Roles =
    [
        ("api_ingress", "control", false, true, "external_http"),
        ("control_plane", "control", false, false, "database_transactions"),
        ("matching", "control", false, false, "task_leases"),
        ("history_projection", "control", false, false, "projection_tables"),
        ("scheduler", "control", false, false, "scheduler_tick"),
        ("execution_plane", "execution", true, false, "worker_protocol_poll"),
    ];

    public static IReadOnlyDictionary<string, AuthorityBoundary> AuthorityBoundaries { get; } = new Dictionary<string, AuthorityBoundary>
    {
        ["api_ingress"] = new([]),
        ["control_plane"] = new(["namespaces", "workflow_instances", "workflow_runs", "workflow_commands", "history_events", "schedules", "search_attributes"]),
        ["matching"] = new(["workflow_tasks", "activity_tasks", "query_tasks", "task_leases", "worker_registrations", "wake_signals"]),
        ["history_projection"] = new(["run_summaries", "run_waits", "run_timeline_entries"]),
        ["scheduler"] = new(["schedule_fires", "activity_timeouts", "history_retention"]),
        ["execution_plane"] = new([]),
    }.AsReadOnly();

    public static IReadOnlyDictionary<string, string> ScalingBoundaries { get; } = new Dictionary<string, string>
    {
        ["api_ingress"] = "stateless; add HTTP nodes behind the load balancer",
        ["control_plane"] = "scales with HTTP nodes; writes to one run are serialised by database row locks",
        ["matching"] = "scales with HTTP nodes; concurrent claims are fenced by task leases",
        ["history_projection"] = "updated in the same transaction as the history it projects",
        ["scheduler"] = "exactly one active process; stop the old one before starting the new one",
        ["execution_plane"] = "add workers per task queue and build-id cohort",
    }.AsReadOnly();

    public static IReadOnlyDictionary<string, FailureDomain> FailureDomains { get; } = new Dictionary<string, FailureDomain>
    {
        ["database"] = new(
            "/api/ready database check",
            "no durable progress; requests fail until the database is reachable again"),
        ["cache"] = new(
            "/api/ready cache check and coordination_health long_poll_wake_acceleration",
            "wake signals are lost; pollers fall back to periodic re-probes, so latency rises but no work is lost"),
        ["scheduler"] = new(
            "operator metrics schedules.missed",
            "schedules, activity timeouts and retention stall until a scheduler runs again"),
        ["worker_fleet"] = new(
            "worker_fleet.active_workers and operator metrics backlog",
            "tasks wait in their queues; runs resume when compatible workers poll again"),
        ["http_node"] = new(
            "load balancer probes of /api/ready",
            "in-flight requests on that node fail; clients retry against another node"),
    }.AsReadOnly();

    public static IReadOnlyDictionary<string, RoleDescriptor> Catalog(IReadOnlyList<string> currentRoles) =>
        Roles.ToDictionary(
            r => r.Role,
            r => new RoleDescriptor(r.Plane, currentRoles.Contains(r.Role), r.RunsUserCode, r.AcceptsExternalHttp, r.Interface))
            .AsReadOnly();
}
