using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// The rollout contract's start gate applied to schedule fires (§5.5, §9.3 step 7), implemented by
/// <c>CompatibilityScheduleStartGate</c>; a refusal reason (e.g. <c>compatibility_blocked</c>) makes the fire a skip
/// with that reason, counted like every other skip.
/// </summary>
public interface IScheduleStartGate
{
    /// <summary>Null when the start may proceed, else the skip reason.</summary>
    Task<string?> RefusalAsync(string ns, JsonObject action, CancellationToken cancellationToken);
}
