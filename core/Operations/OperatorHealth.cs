using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The operator health snapshot (rollout contract §4.5), derived from an operator-metrics document: the frozen checks
/// in their frozen order, each escalating only as far as the contract allows.
/// </summary>
public static class OperatorHealth
{
    private const string Correctness = "correctness";
    private const string Acceleration = "acceleration";

    /// <summary>Only <c>backend_capabilities</c> and <c>worker_compatibility</c> (in fail mode) can report <c>error</c>.</summary>
    public static JsonObject Evaluate(JsonObject metrics, FleetValidationMode mode = FleetValidationMode.Warn)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var runs = metrics["runs"]!.AsObject();
        var tasks = metrics["tasks"]!.AsObject();
        var activities = metrics["activities"]!.AsObject();
        var backlog = metrics["backlog"]!.AsObject();
        var history = metrics["history"]!.AsObject();
        var contracts = metrics["command_contracts"]!.AsObject();
        var projections = metrics["projections"]!.AsObject();
        var schedules = metrics["schedules"]!.AsObject();
        var workers = metrics["workers"]!.AsObject();
        var backend = metrics["backend"]!.AsObject();
        var role = metrics["matching_role"]!.AsObject();

        var summaries = projections["run_summaries"]!.AsObject();
        var selectedRebuild = new[] { "run_waits", "run_timeline_entries", "run_timer_entries", "run_lineage_entries" }
            .Sum(table => Int(projections[table]!.AsObject(), "needs_rebuild"));
        var required = (string?)workers["required_compatibility"];
        var supporters = Int(workers, "active_workers_supporting_required");
        var fleetSupportsRequired = required is null || supporters > 0;
        var blocked = Int(backlog, "compatibility_blocked_runs");
        var cacheWarning = ((JsonArray)backend["cache"]!["issues"]!).Count > 0;

        var routingData = new JsonObject
        {
            ["queue_wake_enabled"] = role["queue_wake_enabled"]!.DeepClone(),
            ["matching_shape"] = role["shape"]!.DeepClone(),
            ["wake_owner"] = role["wake_owner"]!.DeepClone(),
            ["task_dispatch_mode"] = role["task_dispatch_mode"]!.DeepClone(),
            ["required_compatibility"] = required,
            ["active_workers"] = Int(workers, "active_workers"),
            ["active_workers_supporting_required"] = supporters,
            ["fleet_supports_required"] = fleetSupportsRequired,
            ["compatibility_blocked_runs"] = blocked,
            ["oldest_compatibility_blocked_started_at"] = backlog["oldest_compatibility_blocked_started_at"]?.DeepClone(),
            ["max_compatibility_blocked_age_ms"] = Int(backlog, "max_compatibility_blocked_age_ms"),
            ["dispatch_overdue"] = Int(tasks, "dispatch_overdue"),
            ["max_dispatch_overdue_age_ms"] = Int(tasks, "max_dispatch_overdue_age_ms"),
            ["claim_failed"] = Int(tasks, "claim_failed"),
            ["max_claim_failed_age_ms"] = Int(tasks, "max_claim_failed_age_ms"),
        };
        var routingProblem = blocked > 0 || Int(tasks, "dispatch_overdue") > 0 || Int(tasks, "claim_failed") > 0;
        var routingMessage = !routingProblem
            ? "Tasks are routed to compatible workers."
            : blocked > 0 && !fleetSupportsRequired
                ? $"{blocked} run(s) are blocked: no live worker supports the required compatibility marker."
                : "Some tasks are blocked, overdue for dispatch or failed to be claimed.";

        var checks = new JsonArray
        {
            BackendCapabilities(backend),
            Warn("run_summary_projection", Int(summaries, "needs_rebuild") > 0,
                "Run summaries need a rebuild.", "Run summaries are current.",
                new JsonObject { ["needs_rebuild"] = Int(summaries, "needs_rebuild") }),
            Warn("selected_run_projections", selectedRebuild > 0,
                "Run projections need a rebuild.", "Run projections are current.",
                new JsonObject { ["needs_rebuild"] = selectedRebuild }),
            Warn("history_retention_invariant", Int(history, "history_orphan_total") > 0,
                "History rows exist for runs that no longer exist.", "Every history row belongs to a run.",
                new JsonObject { ["history_orphan_total"] = Int(history, "history_orphan_total") }),
            Warn("command_contract_snapshots", Int(contracts, "backfill_needed_runs") > 0,
                "Runs need a command-contract backfill.", "Every run has its command contract.",
                new JsonObject { ["backfill_needed_runs"] = Int(contracts, "backfill_needed_runs") }),
            Warn("task_transport", Int(tasks, "unhealthy") > 0,
                "Some tasks failed dispatch or claim, are overdue, or hold an expired lease.", "Task transport is healthy.",
                new JsonObject { ["unhealthy"] = Int(tasks, "unhealthy"), ["max_unhealthy_age_ms"] = Int(tasks, "max_unhealthy_age_ms") }),
            Warn("activity_path", Int(activities, "timeout_overdue") > 0,
                "Some activity executions are past a timeout deadline.", "No activity timeout is overdue.",
                new JsonObject { ["timeout_overdue"] = Int(activities, "timeout_overdue") }),
            Check("routing_health", Correctness, routingProblem ? "warning" : "ok", routingMessage, routingData),
            Warn("durable_resume_paths", Int(backlog, "repair_needed_runs") > 0,
                "Some runs need repair to make progress.", "Every open run has a resume path.",
                new JsonObject { ["repair_needed_runs"] = Int(backlog, "repair_needed_runs") }),
            WorkerCompatibility(workers, mode),
            Warn("scheduler_role", Int(schedules, "missed") > 0,
                "Some active schedules are overdue.", "No schedule is overdue.",
                new JsonObject { ["missed"] = Int(schedules, "missed"), ["max_overdue_ms"] = Int(schedules, "max_overdue_ms") }),
            Check("long_poll_wake_acceleration", Acceleration, cacheWarning ? "warning" : "ok",
                cacheWarning ? "Long-poll wake-ups do not cross nodes; workers fall back to polling."
                    : "Long-poll wake-ups are available.",
                new JsonObject { ["cache_store"] = backend["cache"]!["store"]!.DeepClone() }),
        };

        return Snapshot(checks);
    }

    /// <summary>
    /// The bounded snapshot readiness evaluates on every probe (rollout contract §4.2): only the checks that can reach
    /// <c>error</c>, built by the same code as the full snapshot, from the backend block and the fleet-wide
    /// <see cref="WorkerCompatibilityCheck"/>.
    /// </summary>
    public static JsonObject EvaluateBounded(JsonObject backend, JsonObject workerCompatibility)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(workerCompatibility);
        return Snapshot([BackendCapabilities(backend), workerCompatibility]);
    }

    private static JsonObject BackendCapabilities(JsonObject backend)
    {
        var severity = (string?)backend["severity"] ?? "ok";
        return Check("backend_capabilities", Correctness, severity switch { "error" => "error", "warning" => "warning", _ => "ok" },
            severity == "ok" ? "The backend supports the engine." : "The backend reports issues.",
            new JsonObject { ["severity"] = severity, ["issues"] = backend["issues"]!.DeepClone() });
    }

    /// <summary>The <c>worker_compatibility</c> check of <see cref="WorkerCompatibilityCheck"/> over a metrics fleet block.</summary>
    private static JsonObject WorkerCompatibility(JsonObject workers, FleetValidationMode mode) =>
        WorkerCompatibilityCheck.Evaluate(
            new WorkerCompatibilityFleet(
                (string?)workers["required_compatibility"],
                (int)Int(workers, "active_workers"),
                (int)Int(workers, "active_worker_scopes"),
                (int)Int(workers, "active_workers_supporting_required")),
            mode);

    private static JsonObject Snapshot(JsonArray checks)
    {
        var status = Worst(checks.Select(c => (string)c!["status"]!));
        return new JsonObject
        {
            ["status"] = status,
            ["healthy"] = status != "error",
            ["checks"] = checks,
            ["categories"] = new JsonObject
            {
                [Correctness] = Category(checks, Correctness),
                [Acceleration] = Category(checks, Acceleration),
            },
        };
    }

    private static JsonObject Category(JsonArray checks, string category)
    {
        var members = checks.Where(c => (string)c!["category"]! == category).ToList();
        return new JsonObject
        {
            ["status"] = Worst(members.Select(c => (string)c!["status"]!)),
            ["checks"] = members.Count,
        };
    }

    private static string Worst(IEnumerable<string> statuses)
    {
        var all = statuses.ToList();
        return all.Contains("error") ? "error" : all.Contains("warning") ? "warning" : "ok";
    }

    private static JsonObject Warn(string name, bool triggered, string problem, string fine, JsonObject data) =>
        Check(name, Correctness, triggered ? "warning" : "ok", triggered ? problem : fine, data);

    private static JsonObject Check(string name, string category, string status, string message, JsonObject data) => new()
    {
        ["name"] = name,
        ["status"] = status,
        ["message"] = message,
        ["category"] = category,
        ["data"] = data,
    };

    /// <summary>Counts are stored as int or long depending on their source; read either.</summary>
    private static long Int(JsonObject block, string key)
    {
        var value = block[key]!.AsValue();
        return value.TryGetValue<int>(out var small) ? small : value.GetValue<long>();
    }
}
