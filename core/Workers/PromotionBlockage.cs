using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Workers;

/// <summary>
/// One reason a promote is refused (rollout contract §6.8), in the package's order. Unlike the upstream server, the
/// fleet checks look at the cohort's live registrations and fleet heartbeats at promote time.
/// </summary>
public sealed record PromotionBlockage(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("message")] string Message)
{
    public static IReadOnlyList<PromotionBlockage> Evaluate(PromoteFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var blockages = new List<PromotionBlockage>();
        if (facts.RegistrationCount == 0 && !facts.HasRollout)
        {
            blockages.Add(new("unknown_deployment", "No worker has registered this build id on the task queue."));
        }

        if (facts.RolledBack)
        {
            blockages.Add(new("rolled_back", "The build id was rolled back and cannot take new starts."));
        }

        if (facts.Draining)
        {
            blockages.Add(new("fleet_is_draining", "The build id is draining; resume it before promoting."));
        }

        if (facts.LiveActiveCount == 0)
        {
            blockages.Add(new("no_compatible_workers", "No active, non-stale worker of this build id is registered on the task queue."));
        }

        if (facts.LiveWithHeartbeatCount == 0)
        {
            blockages.Add(new("missing_worker_heartbeat", "No active worker of this build id has a live compatibility heartbeat."));
        }

        var conflicts = FingerprintConflicts.Of(facts.LiveFingerprints);
        if (conflicts.Count > 0)
        {
            blockages.Add(new(
                "fingerprint_mismatch",
                $"Live workers of this build id disagree on the definition fingerprint of: {string.Join(", ", conflicts.Select(c => c.WorkflowType))}."));
        }

        return blockages;
    }
}

/// <summary>What the promote transaction read about the cohort under its lock.</summary>
public sealed record PromoteFacts(
    long RegistrationCount,
    bool HasRollout,
    bool Draining,
    bool RolledBack,
    long LiveActiveCount,
    long LiveWithHeartbeatCount,
    IReadOnlyList<IReadOnlyDictionary<string, string>> LiveFingerprints);
