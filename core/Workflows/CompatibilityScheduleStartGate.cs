using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Scheduling.Schedules;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// The fail-mode start gate applied to schedule fires (rollout contract §5.5, §9.3 step 7): the fire's start is routed
/// exactly as a control-plane start would be, and a refusal makes the fire a skip with reason <c>compatibility_blocked</c>.
/// </summary>
public sealed class CompatibilityScheduleStartGate(NpgsqlDataSource dataSource, WakeBus wakeBus, StartRouter router, ILogger<CompatibilityScheduleStartGate> logger)
    : IScheduleStartGate
{
    public const string Reason = "compatibility_blocked";

    public async Task<string?> RefusalAsync(string ns, JsonObject action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var queue = action["task_queue"] is JsonValue q && q.TryGetValue<string>(out var name) && !string.IsNullOrWhiteSpace(name)
            ? name
            : WorkflowStartService.DefaultTaskQueue;
        var type = action["workflow_type"] is JsonValue t && t.TryGetValue<string>(out var workflowType) ? workflowType : string.Empty;
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var route = await router.ResolveAsync(tx, ns, queue, type, null, null, gate: true, null, cancellationToken);
        if (route.Refusal is not { } refusal)
        {
            return null;
        }

        logger.ScheduleFireRefused(ns, queue, refusal);
        return Reason;
    }
}
