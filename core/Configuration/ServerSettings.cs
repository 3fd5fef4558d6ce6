namespace DurableWorkflow.Core.Configuration;

/// <summary>Every <c>DW_*</c> setting the server reads, parsed and validated once at start.</summary>
public sealed record ServerSettings
{
    /// <summary>The <c>DW_DB_CONNECTION</c> string with its pool capped at <see cref="DatabaseMaxPoolSize"/>.</summary>
    public required string DatabaseConnection { get; init; }

    /// <summary>Largest number of PostgreSQL connections this node opens (<c>DW_DB_MAX_POOL_SIZE</c>).</summary>
    public int DatabaseMaxPoolSize { get; init; } = 20;

    public string? RedisConnection { get; init; }

    public required AuthSettings Auth { get; init; }

    public string DefaultNamespace { get; init; } = "default";

    public required string ServerId { get; init; }

    public required string ServerBuildId { get; init; }

    public bool MultiNode { get; init; }

    public ReadyCachePolicy ReadyCachePolicy { get; init; } = ReadyCachePolicy.Warning;

    /// <summary>Run the boot-time long-poll cache validator (<c>DW_V2_VALIDATE_CACHE_BACKEND</c>, rollout contract §3.2).</summary>
    public bool ValidateCacheBackend { get; init; } = true;

    /// <summary>What the cache validator does with an unsafe cache (<c>DW_V2_CACHE_VALIDATION_MODE</c>).</summary>
    public CacheValidationMode CacheValidationMode { get; init; } = CacheValidationMode.Warn;

    /// <summary>The replay-safety guard at boot (<c>DW_V2_GUARDRAILS_BOOT</c>, rollout contract §3.3).</summary>
    public GuardrailsBootMode GuardrailsBoot { get; init; } = GuardrailsBootMode.Warn;

    public int MaxPayloadBytes { get; init; } = 2_097_152;

    public string WorkerProtocolVersion { get; init; } = "1.1";

    public int WorkerPollTimeoutSeconds { get; init; } = 30;

    /// <summary>
    /// How long this node trusts that a namespace it has seen exists (<c>DW_NAMESPACE_CACHE_SECONDS</c>; 0 turns the
    /// cache off). Only existence is cached, and only positively: a namespace created anywhere is seen at once.
    /// </summary>
    public int NamespaceCacheSeconds { get; init; } = 60;

    /// <summary>Heartbeat cadence advertised to worker SDKs on register and heartbeat (rollout contract §6.2).</summary>
    public int WorkerHeartbeatIntervalSeconds { get; init; } = 10;

    /// <summary>Registration staleness window W; default max(3 × heartbeat interval, 30) (rollout contract §6.2).</summary>
    public int WorkerStaleAfterSeconds { get; init; } = 30;

    public int HistoryRetentionDays { get; init; } = 30;

    public bool CompressionEnabled { get; init; } = true;

    public bool QueueWakeEnabled { get; init; } = true;

    public int WorkflowTaskLeaseSeconds { get; init; } = 300;

    /// <summary>How long a control-plane query waits for a worker's answer (control-plane spec §4.6.2); default = poll timeout.</summary>
    public int QueryTaskTimeoutSeconds { get; init; } = 30;

    /// <summary>Pending query tasks per (namespace, queue) before new queries get 429 <c>query_task_queue_full</c>.</summary>
    public int QueryTaskMaxPendingPerQueue { get; init; } = 1024;

    /// <summary>Default wait of an update sent with <c>wait_for: completed</c> and no <c>wait_timeout_seconds</c>.</summary>
    public int UpdateWaitCompletionTimeoutSeconds { get; init; } = 10;

    public bool SchedulerEnabled { get; init; } = true;

    public int SchedulerIntervalSeconds { get; init; } = 1;

    /// <summary>
    /// How far back a tick replays the occurrences of a scheduler gap (<c>DW_SCHEDULE_CATCHUP_WINDOW_SECONDS</c>); 0 keeps
    /// the contract's rule (§9.6): fire the stale occurrence once and drop the rest.
    /// </summary>
    public int ScheduleCatchUpWindowSeconds { get; init; }

    /// <summary>How long a scheduler lease lasts without renewal; default <c>max(5, 3 × interval)</c>.</summary>
    public int SchedulerLeaseSeconds { get; init; } = 5;

    /// <summary>Repair timing policy knobs (rollout contract §8.3); each at least 1.</summary>
    public int TaskRepairRedispatchAfterSeconds { get; init; } = 3;

    public int TaskRepairLoopThrottleSeconds { get; init; } = 5;

    public int TaskRepairScanLimit { get; init; } = 25;

    public int TaskRepairFailureBackoffMaxSeconds { get; init; } = 60;

    /// <summary>Expired workflow-task leases one poll may recover (rollout contract §8.2).</summary>
    public int ExpiredWorkflowTaskRecoveryScanLimit { get; init; } = 5;

    /// <summary>Window in which a given expired workflow-task lease is recovered through the poll path at most once, across nodes.</summary>
    public int ExpiredWorkflowTaskRecoveryTtlSeconds { get; init; } = 5;

    public string TopologyShape { get; init; } = "standalone_server";

    public string ProcessClass { get; init; } = "server_http_node";

    /// <summary>Compatibility markers, fleet validation and fingerprint pinning (rollout contract §5, §7).</summary>
    public CompatibilitySettings Compatibility { get; init; } = new();

    /// <summary>Where the external payload storage drivers put objects (<c>DW_STORAGE_*</c>, control-plane spec §11.1).</summary>
    public PayloadStorageSettings PayloadStorage { get; init; } = new();

    /// <summary>Which bridge adapters the webhook serves and their signing secrets (<c>DW_BRIDGE_ADAPTERS</c>, §11.2).</summary>
    public BridgeSettings Bridge { get; init; } = new();
}

public sealed record AuthSettings
{
    public AuthDriver Driver { get; init; } = AuthDriver.Token;

    public string? LegacyToken { get; init; }

    public string? WorkerToken { get; init; }

    public string? OperatorToken { get; init; }

    public string? AdminToken { get; init; }

    public bool BackwardCompatible { get; init; } = true;

    public bool HasRoleTokens => WorkerToken is not null || OperatorToken is not null || AdminToken is not null;

    /// <summary>True when the token driver has at least one credential it would accept.</summary>
    public bool HasUsableCredential => HasRoleTokens || (BackwardCompatible && LegacyToken is not null);
}

public enum AuthDriver
{
    None,
    Token,
}

/// <summary>How <c>/api/ready</c> treats a failed round trip through the configured cache.</summary>
public enum ReadyCachePolicy
{
    /// <summary>A failed cache probe makes the node unready (503).</summary>
    Fatal,

    /// <summary>A failed Redis probe is reported as <c>warning</c>; the database stays the correctness substrate.</summary>
    Warning,
}

/// <summary>The boot-time cache validator's reaction to a multi-node deployment without a shared cache.</summary>
public enum CacheValidationMode
{
    /// <summary>No log line.</summary>
    Silent,

    /// <summary>One warning log line at boot.</summary>
    Warn,

    /// <summary>The legacy spelling of <see cref="Warn"/>: one warning, boot is never blocked (rollout contract §3.2).</summary>
    Fail,
}

/// <summary>The replay-safety guard's mode; <c>fail</c> (the server env contract's spelling) reads as <see cref="Throw"/>.</summary>
public enum GuardrailsBootMode
{
    /// <summary>No scan, no log.</summary>
    Silent,

    /// <summary>Scan and log each finding.</summary>
    Warn,

    /// <summary>Scan and refuse to boot on the first finding.</summary>
    Throw,
}
