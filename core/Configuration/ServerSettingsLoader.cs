using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DurableWorkflow.Core.Configuration;

/// <summary>Reads <c>DW_*</c> values from configuration (environment variables in production) and rejects bad ones by name.</summary>
public static class ServerSettingsLoader
{
    public static ServerSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reader = new SettingReader(configuration);

        var maxPoolSize = reader.Integer("DW_DB_MAX_POOL_SIZE", 20, min: 1, max: 1000);
        var database = WithConnectionDefaults(reader.Required("DW_DB_CONNECTION"), maxPoolSize);

        var redis = reader.Optional("DW_REDIS_CONNECTION");
        if (redis is not null)
        {
            ValidateRedisConnection(redis);
        }

        // The stale window defaults from the heartbeat interval, so the interval is read first.
        var heartbeatInterval = reader.Integer("DW_WORKER_HEARTBEAT_INTERVAL_SECONDS", 10, min: 1, max: 3600);

        // The query wait defaults from the poll timeout (upstream server.query_tasks.timeout), so that is read first too.
        var pollTimeout = reader.Integer("DW_WORKER_POLL_TIMEOUT", 30, min: 0, max: 60);
        var schedulerInterval = reader.Integer("DW_SCHEDULER_INTERVAL_SECONDS", 1, min: 1, max: 3600);
        var settings = new ServerSettings
        {
            DatabaseConnection = database,
            DatabaseMaxPoolSize = maxPoolSize,
            RedisConnection = redis,
            Auth = LoadAuth(reader),
            DefaultNamespace = LoadDefaultNamespace(reader),
            ServerId = reader.Optional("DW_SERVER_ID") ?? Environment.MachineName,
            ServerBuildId = reader.Optional("DW_SERVER_BUILD_ID") ?? ServerVersion.Current,
            MultiNode = reader.Boolean("DW_V2_MULTI_NODE", false),
            ReadyCachePolicy = reader.Enum("DW_READY_CACHE_POLICY", ReadyCachePolicy.Warning),
            ValidateCacheBackend = reader.Boolean("DW_V2_VALIDATE_CACHE_BACKEND", true),
            CacheValidationMode = reader.Enum("DW_V2_CACHE_VALIDATION_MODE", CacheValidationMode.Warn),
            GuardrailsBoot = LoadGuardrailsBoot(reader),
            MaxPayloadBytes = reader.Integer("DW_MAX_PAYLOAD_BYTES", 2_097_152, min: 1024, max: 104_857_600),
            WorkerProtocolVersion = LoadWorkerProtocolVersion(reader),
            WorkerPollTimeoutSeconds = pollTimeout,
            WorkerHeartbeatIntervalSeconds = heartbeatInterval,
            WorkerStaleAfterSeconds = reader.Integer("DW_WORKER_STALE_AFTER_SECONDS", Math.Max(3 * heartbeatInterval, 30), min: 1, max: 86_400),
            HistoryRetentionDays = reader.Integer("DW_HISTORY_RETENTION_DAYS", 30, min: 1, max: 365),
            CompressionEnabled = reader.Boolean("DW_COMPRESSION_ENABLED", true),
            QueueWakeEnabled = reader.Boolean("DW_V2_MATCHING_ROLE_QUEUE_WAKE", true),
            WorkflowTaskLeaseSeconds = reader.Integer("DW_V2_WORKFLOW_TASK_LEASE_SECONDS", 300, min: 1, max: 86_400),
            QueryTaskTimeoutSeconds = reader.Integer("DW_QUERY_TASK_TIMEOUT", Math.Max(1, pollTimeout), min: 1, max: 300),
            QueryTaskMaxPendingPerQueue = reader.Integer("DW_QUERY_TASK_MAX_PENDING_PER_QUEUE", 1024, min: 1, max: 10_000),
            UpdateWaitCompletionTimeoutSeconds = reader.Integer("DW_V2_UPDATE_WAIT_COMPLETION_TIMEOUT_SECONDS", 10, min: 1, max: 300),
            SchedulerEnabled = reader.Boolean("DW_SCHEDULER_ENABLED", true),
            SchedulerIntervalSeconds = schedulerInterval,
            SchedulerLeaseSeconds = reader.Integer("DW_SCHEDULER_LEASE_SECONDS", Math.Max(5, 3 * schedulerInterval), min: 2, max: 3600),
            ScheduleCatchUpWindowSeconds = reader.Integer("DW_SCHEDULE_CATCHUP_WINDOW_SECONDS", 0, min: 0, max: 86_400),
            TaskRepairRedispatchAfterSeconds = reader.Integer("DW_V2_TASK_REPAIR_REDISPATCH_AFTER_SECONDS", 3, min: 1, max: 86_400),
            TaskRepairLoopThrottleSeconds = reader.Integer("DW_V2_TASK_REPAIR_LOOP_THROTTLE_SECONDS", 5, min: 1, max: 86_400),
            TaskRepairScanLimit = reader.Integer("DW_V2_TASK_REPAIR_SCAN_LIMIT", 25, min: 1, max: 10_000),
            TaskRepairFailureBackoffMaxSeconds = reader.Integer("DW_V2_TASK_REPAIR_FAILURE_BACKOFF_MAX_SECONDS", 60, min: 1, max: 86_400),
            ExpiredWorkflowTaskRecoveryScanLimit = reader.Integer("DW_EXPIRED_WORKFLOW_TASK_RECOVERY_SCAN_LIMIT", 5, min: 1, max: 1000),
            ExpiredWorkflowTaskRecoveryTtlSeconds = reader.Integer("DW_EXPIRED_WORKFLOW_TASK_RECOVERY_TTL_SECONDS", 5, min: 1, max: 3600),
            NamespaceCacheSeconds = reader.Integer("DW_NAMESPACE_CACHE_SECONDS", 60, min: 0, max: 3600),
            TopologyShape = reader.OneOf("DW_SERVER_TOPOLOGY_SHAPE", "standalone_server", TopologyCatalog.Shapes),
            Compatibility = LoadCompatibility(reader),
            PayloadStorage = PayloadStorageSettings.Load(
                reader.Optional("DW_STORAGE_LOCAL_ROOT"),
                reader.Optional("DW_STORAGE_AZURE_CONNECTION_STRING"),
                reader.Optional("DW_STORAGE_AZURE_ACCOUNT_URI"),
                reader.Optional("DW_STORAGE_AZURE_CLIENT_ID"),
                reader.Optional("DW_STORAGE_AZURE_CONTAINER")),
            Bridge = BridgeSettings.Load(reader.Optional("DW_BRIDGE_ADAPTERS")),
        };

        var processClass = reader.Optional("DW_SERVER_PROCESS_CLASS") ?? TopologyCatalog.DefaultProcessClass(settings.TopologyShape);
        if (!TopologyCatalog.HasProcessClass(settings.TopologyShape, processClass))
        {
            throw new ConfigurationException(
                $"DW_SERVER_PROCESS_CLASS '{processClass}' is not a process class of shape '{settings.TopologyShape}'.");
        }

        return settings with { ProcessClass = processClass };
    }

    private static AuthSettings LoadAuth(SettingReader reader)
    {
        var driverText = reader.Optional("DW_AUTH_DRIVER") ?? "token";
        var driver = driverText.Trim().ToLowerInvariant() switch
        {
            "token" => AuthDriver.Token,
            "none" => AuthDriver.None,
            _ => throw new ConfigurationException(
                $"DW_AUTH_DRIVER must be 'token' or 'none' (got '{driverText}')."),
        };

        return new AuthSettings
        {
            Driver = driver,
            LegacyToken = reader.Optional("DW_AUTH_TOKEN"),
            WorkerToken = reader.Optional("DW_WORKER_TOKEN"),
            OperatorToken = reader.Optional("DW_OPERATOR_TOKEN"),
            AdminToken = reader.Optional("DW_ADMIN_TOKEN"),
            BackwardCompatible = reader.Boolean("DW_AUTH_BACKWARD_COMPATIBLE", true),
        };
    }

    private static CompatibilitySettings LoadCompatibility(SettingReader reader)
    {
        var current = reader.Optional("DW_V2_CURRENT_COMPATIBILITY");
        if (current == CompatibilityMarkers.Wildcard)
        {
            throw new ConfigurationException("DW_V2_CURRENT_COMPATIBILITY cannot be '*': runs are never stamped with the wildcard.");
        }

        return new CompatibilitySettings
        {
            Current = current,
            Supported = CompatibilityMarkers.ParseSupported(reader.Optional("DW_V2_SUPPORTED_COMPATIBILITIES"), current),
            Namespace = reader.Optional("DW_V2_COMPATIBILITY_NAMESPACE"),
            HeartbeatTtlSeconds = reader.Integer("DW_V2_COMPATIBILITY_HEARTBEAT_TTL", 30, min: 1, max: 86_400),
            FleetValidationMode = reader.Enum("DW_V2_FLEET_VALIDATION_MODE", FleetValidationMode.Warn),
            PinToRecordedFingerprint = reader.Boolean("DW_V2_PIN_TO_RECORDED_FINGERPRINT", true),
        };
    }

    private static string LoadDefaultNamespace(SettingReader reader)
    {
        var name = (reader.Optional("DW_DEFAULT_NAMESPACE") ?? "default").Trim().ToLowerInvariant();
        if (!Namespaces.NamespaceName.IsValid(name))
        {
            throw new ConfigurationException(
                $"DW_DEFAULT_NAMESPACE '{name}' is not a valid namespace name (letters, digits, '.', '_', '-'; at most 128 characters).");
        }

        return name;
    }

    private static GuardrailsBootMode LoadGuardrailsBoot(SettingReader reader)
    {
        var text = reader.Optional("DW_V2_GUARDRAILS_BOOT") ?? "warn";
        return text.ToLowerInvariant() switch
        {
            "silent" => GuardrailsBootMode.Silent,
            "warn" => GuardrailsBootMode.Warn,
            "throw" or "fail" => GuardrailsBootMode.Throw,
            _ => throw new ConfigurationException($"DW_V2_GUARDRAILS_BOOT must be one of silent, warn, throw (or fail), got '{text}'."),
        };
    }

    private static string LoadWorkerProtocolVersion(SettingReader reader)
    {
        var text = reader.Optional("DW_WORKER_PROTOCOL_VERSION") ?? "1.1";
        if (!Http.ProtocolVersion.TryParse(text, out var version) || version.Major != 1)
        {
            throw new ConfigurationException(
                $"DW_WORKER_PROTOCOL_VERSION must be MAJOR.MINOR with major 1, e.g. '1.1' (got '{text}').");
        }

        return version.ToString();
    }

    /// <summary>
    /// Validates the connection string and caps its pool at <c>DW_DB_MAX_POOL_SIZE</c>, which wins over a
    /// <c>Maximum Pool Size</c> in the string: parked long-polls hold no connection, so the cap bounds a node's
    /// connections whatever the number of waiting workers. It also applies the server's per-request defaults (see
    /// <see cref="ConnectionDefaults"/>) wherever the operator's string does not name the keyword itself.
    /// </summary>
    private static string WithConnectionDefaults(string value, int maxPoolSize)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"DW_DB_CONNECTION is not a valid Npgsql connection string: {ex.Message}");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ConfigurationException("DW_DB_CONNECTION has no Host.");
        }

        if (builder.MinPoolSize > maxPoolSize)
        {
            throw new ConfigurationException(
                $"DW_DB_CONNECTION's Minimum Pool Size ({builder.MinPoolSize}) exceeds DW_DB_MAX_POOL_SIZE ({maxPoolSize}).");
        }

        builder.MaxPoolSize = maxPoolSize;
        ConnectionDefaults.Apply(builder, value);
        return builder.ConnectionString;
    }

    private static void ValidateRedisConnection(string value)
    {
        try
        {
            var options = StackExchange.Redis.ConfigurationOptions.Parse(value);
            if (options.EndPoints.Count == 0)
            {
                throw new ConfigurationException("DW_REDIS_CONNECTION names no endpoint.");
            }
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"DW_REDIS_CONNECTION is not a valid StackExchange.Redis configuration: {ex.Message}");
        }
    }

    private sealed class SettingReader(IConfiguration configuration)
    {
        public string? Optional(string name)
        {
            var value = configuration[name];
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public string Required(string name) =>
            Optional(name) ?? throw new ConfigurationException($"{name} is required but not set.");

        public bool Boolean(string name, bool fallback)
        {
            var value = Optional(name);
            if (value is null)
            {
                return fallback;
            }

            return value.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => throw new ConfigurationException($"{name} must be a boolean (true/false/1/0/yes/no/on/off), got '{value}'."),
            };
        }

        public int Integer(string name, int fallback, int min, int max)
        {
            var value = Optional(name);
            if (value is null)
            {
                return fallback;
            }

            if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
            {
                throw new ConfigurationException($"{name} must be an integer from {min} to {max}, got '{value}'.");
            }

            return parsed;
        }

        public TEnum Enum<TEnum>(string name, TEnum fallback)
            where TEnum : struct, System.Enum
        {
            var value = Optional(name);
            if (value is null)
            {
                return fallback;
            }

            if (!System.Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) || !System.Enum.IsDefined(parsed))
            {
                var allowed = string.Join(", ", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
                throw new ConfigurationException($"{name} must be one of {allowed}, got '{value}'.");
            }

            return parsed;
        }

        public string OneOf(string name, string fallback, IReadOnlyCollection<string> allowed)
        {
            var value = Optional(name) ?? fallback;
            if (!allowed.Contains(value))
            {
                throw new ConfigurationException($"{name} must be one of {string.Join(", ", allowed)}, got '{value}'.");
            }

            return value;
        }
    }
}

/// <summary>The build version of this server, taken from the assembly so a release needs no code change.</summary>
public static class ServerVersion
{
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "0.0.0";
}
