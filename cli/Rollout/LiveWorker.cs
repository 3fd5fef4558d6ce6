using System.Globalization;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>A worker registration from <c>GET /api/workers</c>, as the drain-safety check needs it.</summary>
public sealed record LiveWorker(string WorkerId, string? BuildId, string Status, DateTimeOffset? LastHeartbeatAt, IReadOnlyList<string> WorkflowTypes, JsonObject Fingerprints)
{
    public static LiveWorker From(JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new(
            JsonRead.Text(item, "worker_id") ?? "?",
            item["build_id"] is JsonValue b ? b.ToString() : null,
            JsonRead.Text(item, "status") ?? "unknown",
            DateTimeOffset.TryParse(JsonRead.Text(item, "last_heartbeat_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
            [.. (item["supported_workflow_types"] as JsonArray ?? []).Select(t => t?.ToString()).OfType<string>()],
            item["workflow_definition_fingerprints"] as JsonObject ?? []);
    }

    /// <summary>Heartbeating within the stale window and not draining.</summary>
    public bool IsLiveNonDraining(DateTimeOffset now, int staleAfterSeconds) =>
        Status == "active" && LastHeartbeatAt is { } at && now - at <= TimeSpan.FromSeconds(staleAfterSeconds);

    /// <summary>
    /// Can claim the run's tasks: the marker matches (an unmarked run goes to any worker; a marked one only to that build,
    /// rollout contract §5.3), the type is served, and a recorded fingerprint is advertised byte for byte (§7.3).
    /// </summary>
    public bool CanServe(string workflowType, string? marker, string? fingerprint) =>
        (string.IsNullOrEmpty(marker) || marker == BuildId)
        && (WorkflowTypes.Count == 0 || WorkflowTypes.Contains(workflowType))
        && (string.IsNullOrEmpty(fingerprint) || JsonRead.Text(Fingerprints, workflowType) == fingerprint);
}
