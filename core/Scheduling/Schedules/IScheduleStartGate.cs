using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// The rollout contract's start gate applied to schedule fires (§5.5, §9.3 step 7). The rollout work registers the
/// compatibility admission here; a refusal reason (e.g. <c>compatibility_blocked</c>) makes the fire a skip with
/// that reason, counted like every other skip.
/// </summary>
public interface IScheduleStartGate
{
    /// <summary>Null when the start may proceed, else the skip reason.</summary>
    Task<string?> RefusalAsync(string ns, JsonObject action, CancellationToken cancellationToken);
}

/// <summary>Admits every start: the gate used until compatibility admission is registered.</summary>
public sealed class OpenScheduleStartGate : IScheduleStartGate
{
    public Task<string?> RefusalAsync(string ns, JsonObject action, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
