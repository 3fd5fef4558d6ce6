using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The operator-metrics <c>projections</c> block (control-plane §10.2). This server answers run lists and details from
/// the run rows themselves rather than from rebuildable projection tables, so nothing can drift: every count is zero
/// and every timestamp null, with the frozen keys kept for clients.
/// </summary>
public static class OperatorProjections
{
    public static IReadOnlyList<string> Tables { get; } =
        ["run_summaries", "run_waits", "run_timeline_entries", "run_timer_entries", "run_lineage_entries"];

    public static JsonObject Neutral() => new()
    {
        ["run_summaries"] = Block(
            ["runs", "summaries", "missing", "orphaned", "stale", "schema_outdated", "needs_rebuild"],
            ["oldest_updated_at", "newest_updated_at", "oldest_missing_run_started_at"],
            ["max_missing_run_age_ms"]),
        ["run_waits"] = Block(
            ["runs", "rows", "projected_runs", "runs_with_waits", "projected_runs_with_waits", "missing_runs_with_waits",
             "summaries_with_open_waits", "projected_current_open_waits", "missing_current_open_waits",
             "stale_projected_runs", "orphaned", "needs_rebuild"],
            ["oldest_updated_at", "newest_updated_at"], []),
        ["run_timeline_entries"] = Block(
            ["runs", "history_events", "rows", "projected_runs", "runs_with_history", "projected_runs_with_history",
             "missing_runs_with_history", "missing_history_events", "stale_projected_runs", "orphaned", "needs_rebuild"],
            ["oldest_updated_at", "newest_updated_at"], []),
        ["run_timer_entries"] = Block(
            ["runs", "rows", "projected_runs", "runs_with_timers", "projected_runs_with_timers", "missing_runs_with_timers",
             "stale_projected_runs", "schema_version_mismatch_runs", "schema_version_mismatch_rows", "orphaned",
             "needs_rebuild"],
            ["oldest_updated_at", "newest_updated_at"], []),
        ["run_lineage_entries"] = Block(
            ["runs", "rows", "projected_runs", "runs_with_lineage", "projected_runs_with_lineage",
             "missing_runs_with_lineage", "stale_projected_runs", "orphaned", "needs_rebuild"],
            ["oldest_updated_at", "newest_updated_at"], []),
    };

    private static JsonObject Block(string[] counts, string[] timestamps, string[] ages)
    {
        var block = new JsonObject();
        foreach (var key in counts.Concat(ages))
        {
            block[key] = 0;
        }

        foreach (var key in timestamps)
        {
            block[key] = null;
        }

        return block;
    }
}
