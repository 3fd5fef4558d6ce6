using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Readiness;

/// <summary>
/// The readiness <c>workflow_v2</c> check (rollout contract §4.2): a projection of the bounded health snapshot. It reads
/// every check generically, so any check that reaches <c>error</c> makes the node unready and is named in
/// <c>error_checks</c>; warnings keep it ready and are named in <c>warning_checks</c>.
/// </summary>
public static class WorkflowV2Check
{
    public static CheckResult FromSnapshot(JsonObject snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var checks = snapshot["checks"]!.AsArray();
        var errors = Named(checks, "error");
        var warnings = Named(checks, "warning");
        var status = errors.Count > 0 ? "error" : warnings.Count > 0 ? "warning" : "ok";
        return new CheckResult
        {
            Status = status,
            HttpStatus = errors.Count > 0 ? 503 : 200,
            Categories = snapshot["categories"]!.DeepClone().AsObject(),
            WarningChecks = warnings,
            ErrorChecks = errors,
            Checks = checks.DeepClone().AsArray(),
        };
    }

    /// <summary>The snapshot needs the database and its schema; without them the check names what blocks it.</summary>
    public static CheckResult Blocked(IReadOnlyList<string> blockedBy) => new()
    {
        Status = "blocked",
        HttpStatus = 503,
        BlockedBy = blockedBy,
        Message = "The workflow engine cannot be evaluated until its dependencies are ready.",
    };

    private static List<string> Named(JsonArray checks, string status) =>
        [.. checks.Where(c => (string?)c!["status"] == status).Select(c => (string)c!["name"]!)];
}
