namespace DurableWorkflow.Core.Configuration;

/// <summary>
/// The compatibility settings of rollout contract §5 and §7, normalised once at start: markers trimmed, the supported
/// list de-duplicated (a <c>*</c> collapses it to <c>["*"]</c>), the validation mode parsed case-insensitively.
/// </summary>
public sealed record CompatibilitySettings
{
    /// <summary><c>DW_V2_CURRENT_COMPATIBILITY</c>: the marker this node stamps on runs it starts and requires of the fleet.</summary>
    public string? Current { get; init; }

    /// <summary><c>DW_V2_SUPPORTED_COMPATIBILITIES</c>; empty → <c>[current]</c>, or <c>[]</c> without a current marker.</summary>
    public IReadOnlyList<string> Supported { get; init; } = [];

    /// <summary><c>DW_V2_COMPATIBILITY_NAMESPACE</c>: scope of the fleet-wide readiness check; null = every namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary><c>DW_V2_COMPATIBILITY_HEARTBEAT_TTL</c>: lifetime of a fleet heartbeat row in seconds.</summary>
    public int HeartbeatTtlSeconds { get; init; } = 30;

    /// <summary>An unchanged fleet snapshot is re-written at most this often: floor(TTL / 3), at least 1 s.</summary>
    public int HeartbeatWriteIntervalSeconds => Math.Max(1, HeartbeatTtlSeconds / 3);

    public FleetValidationMode FleetValidationMode { get; init; } = FleetValidationMode.Warn;

    /// <summary><c>DW_V2_PIN_TO_RECORDED_FINGERPRINT</c>: runs with a recorded fingerprint only go to workers advertising it.</summary>
    public bool PinToRecordedFingerprint { get; init; } = true;

    /// <summary>The wire value of the mode (<c>warn</c> or <c>fail</c>).</summary>
    public string ValidationModeName => FleetValidationMode == FleetValidationMode.Fail ? "fail" : "warn";
}

/// <summary><c>DW_V2_FLEET_VALIDATION_MODE</c>.</summary>
public enum FleetValidationMode
{
    /// <summary>Missing coverage is reported as a warning only.</summary>
    Warn,

    /// <summary>Missing coverage is an error (health, readiness) and refuses starts into a covered scope.</summary>
    Fail,
}
