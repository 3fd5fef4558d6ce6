using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli;

/// <summary>The cohort listing of <c>task-queue:build-ids</c> for people; the unversioned cohort reads <c>(unversioned)</c>.</summary>
public static class BuildIdTable
{
    public const string Unversioned = "(unversioned)";

    public static void Render(IAnsiConsole console, JsonNode? document)
    {
        ArgumentNullException.ThrowIfNull(console);
        var queue = GenericTable.Text(document?["task_queue"]);
        console.WriteLine($"Task queue: {queue}  (namespace {GenericTable.Text(document?["namespace"])}, stale after {GenericTable.Text(document?["stale_after_seconds"])} s)");
        var table = new Table()
            .AddColumn("Build ID").AddColumn("Rollout").AddColumn("Active").AddColumn("Draining").AddColumn("Stale")
            .AddColumn("Total").AddColumn("New Starts").AddColumn("Promoted At").AddColumn("Last Heartbeat");
        foreach (var cohort in (document?["build_ids"] as JsonArray ?? []).OfType<JsonObject>())
        {
            table.AddRow(
                Markup.Escape(Name(cohort["build_id"])),
                Markup.Escape(GenericTable.Text(cohort["rollout_status"])),
                GenericTable.Text(cohort["active_worker_count"]),
                GenericTable.Text(cohort["draining_worker_count"]),
                GenericTable.Text(cohort["stale_worker_count"]),
                GenericTable.Text(cohort["total_worker_count"]),
                cohort["new_start_selected"]?.GetValue<bool>() == true ? "yes" : "no",
                Markup.Escape(GenericTable.Text(cohort["promoted_at"])),
                Markup.Escape(GenericTable.Text(cohort["last_heartbeat_at"])));
        }

        console.Write(table);
    }

    public static string Name(JsonNode? buildId) => buildId is null ? Unversioned : GenericTable.Text(buildId);
}
