using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>The worker counts of one cohort in a build-id listing; all zero when the cohort is not listed.</summary>
public sealed record CohortCounts(int Active, int Draining, int Stale, int Total, string? RolloutStatus)
{
    public int Live => Active + Draining;

    public static CohortCounts From(JsonNode? listing, string? buildId)
    {
        var cohort = (listing?["build_ids"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(c => Equals(c["build_id"]?.GetValue<string>(), buildId));
        return cohort is null
            ? new CohortCounts(0, 0, 0, 0, null)
            : new CohortCounts(Int(cohort["active_worker_count"]), Int(cohort["draining_worker_count"]), Int(cohort["stale_worker_count"]),
                Int(cohort["total_worker_count"]), cohort["rollout_status"]?.GetValue<string>());
    }

    public static int Int(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;
}
