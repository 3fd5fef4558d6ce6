using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Readiness;

/// <summary>Boot-time admission and readiness events, ids 1450–1499.</summary>
public static partial class ReadinessLog
{
    [LoggerMessage(EventId = 1450, Level = LogLevel.Warning, Message = "DW_V2_MULTI_NODE=true but the long-poll cache backend '{Backend}' is not shared between nodes: wake-ups stay on this node and pollers elsewhere fall back to their re-probe interval; readiness refuses this node while DW_V2_VALIDATE_CACHE_BACKEND is on (DW_V2_CACHE_VALIDATION_MODE={Mode})")]
    public static partial void CacheBackendUnsafe(this ILogger logger, string backend, CacheValidationMode mode);

    [LoggerMessage(EventId = 1451, Level = LogLevel.Information, Message = "Replay-safety guard (DW_V2_GUARDRAILS_BOOT={Mode}): {ClassCount} in-process workflow classes to scan; workflow code runs in external workers, which own their own determinism checks")]
    public static partial void GuardrailsScanned(this ILogger logger, GuardrailsBootMode mode, int classCount);

    [LoggerMessage(EventId = 1452, Level = LogLevel.Warning, Message = "Readiness check {Check} is {Status}; this node answers /api/ready 503 until it recovers")]
    public static partial void ReadinessCheckFailed(this ILogger logger, string check, string status);
}
