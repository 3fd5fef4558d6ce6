using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Readiness;

/// <summary>
/// The boot-time admission authorities that only log (rollout contract §3.2–3.3): the long-poll cache validator and the
/// replay-safety guard. Neither blocks boot: an unsafe cache is refused by readiness instead, and this server loads no
/// workflow classes, so the guard has nothing to scan in any mode.
/// </summary>
public sealed class BootAdmission(ServerSettings settings, ILogger<BootAdmission> logger)
{
    public void Run()
    {
        if (settings.ValidateCacheBackend && settings.CacheValidationMode != CacheValidationMode.Silent)
        {
            var validation = LongPollCacheValidator.Classify(settings);
            if (!validation.Safe)
            {
                logger.CacheBackendUnsafe(validation.Backend, settings.CacheValidationMode);
            }
        }

        if (settings.GuardrailsBoot != GuardrailsBootMode.Silent)
        {
            logger.GuardrailsScanned(settings.GuardrailsBoot, 0);
        }
    }
}
