using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The per-kind admission view of a task queue (rollout contract §6.5, control-plane §8.1). This server configures no
/// server-side lease or dispatch budgets, so the status comes from the pollers alone and no claim takes a budget lock.
/// </summary>
public static class TaskAdmission
{
    public const string WorkflowKind = "workflow";
    public const string ActivityKind = "activity";

    public static JsonObject Describe(
        string kind, IReadOnlyCollection<TaskQueuePoller> pollers, int ready, int leased, int activeLeases, int namespaceActiveLeases)
    {
        ArgumentNullException.ThrowIfNull(pollers);

        // Invariant 20: only live pollers whose status is exactly "active" take work; draining and stale ones never count.
        var admitted = pollers.Where(p => !p.IsStale && p.Status == "active").ToList();
        var slots = admitted.Sum(p => kind == WorkflowKind ? p.MaxWorkflowTasks : p.MaxActivityTasks);
        var status = admitted.Count == 0 ? "no_active_workers"
            : slots == 0 ? "no_slots"
            : leased >= slots ? "saturated"
            : "accepting";
        return new JsonObject
        {
            ["budget_source"] = $"worker_registration.max_concurrent_{kind}_tasks",
            ["server_budget_source"] = $"server.admission.{kind}_tasks.max_active_leases_per_queue",
            ["active_worker_count"] = admitted.Count,
            ["configured_slot_count"] = slots,
            ["leased_count"] = leased,
            ["ready_count"] = ready,
            ["available_slot_count"] = Math.Max(0, slots - leased),
            ["server_max_active_leases_per_queue"] = null,
            ["server_active_lease_count"] = activeLeases,
            ["server_remaining_active_lease_capacity"] = null,
            ["server_max_active_leases_per_namespace"] = null,
            ["server_namespace_active_lease_count"] = namespaceActiveLeases,
            ["server_remaining_namespace_active_lease_capacity"] = null,
            ["server_max_dispatches_per_minute"] = null,
            ["server_remaining_dispatch_capacity"] = null,
            ["server_max_dispatches_per_minute_per_namespace"] = null,
            ["server_remaining_namespace_dispatch_capacity"] = null,
            ["server_dispatch_budget_group"] = null,
            ["server_max_dispatches_per_minute_per_budget_group"] = null,
            ["server_remaining_budget_group_dispatch_capacity"] = null,
            ["server_lock_required"] = false,
            ["server_lock_supported"] = true,
            ["status"] = status,
        };
    }
}
