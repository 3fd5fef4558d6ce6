using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.Workers;

/// <summary>
/// All SQL of the worker fleet (docs/schema.md §8): registrations, the rollout rows they read their status from, fleet
/// compatibility heartbeats and the task-queue registry. Every time comparison uses the database clock (<c>now()</c>),
/// so the stale window and heartbeat TTL cannot drift between nodes.
/// </summary>
public sealed partial class WorkerRegistrationRepository(NpgsqlDataSource dataSource, ServerSettings settings)
{

    private const string Columns =
        """
        r.namespace, r.worker_id, r.task_queue, r.runtime, r.sdk_version, r.build_id, r.supported_workflow_types,
        r.supported_activity_types, r.workflow_definition_fingerprints, r.capabilities, r.workflow_command_contracts,
        r.max_concurrent_workflow_tasks, r.max_concurrent_activity_tasks, r.task_slots, r.process_metrics,
        r.heartbeat_interval_seconds, r.status, r.last_heartbeat_at, r.created_at, r.updated_at
        """;

    // Status derived from the cohort's rollout row; the row's build_id is '' for the unversioned cohort, which is
    // exactly what build_id_key holds.
    private const string CohortDrainingOfRow =
        """
        EXISTS (SELECT 1 FROM workflow_worker_build_id_rollouts b
                 WHERE b.namespace = r.namespace AND b.task_queue = r.task_queue
                   AND b.build_id = r.build_id_key AND b.drain_intent = 'draining')
        """;

    /// <summary>
    /// Inserts or replaces the registration in one transaction: the fingerprint guard under a row lock, the upsert,
    /// the fleet heartbeat and the queue registry. A conflicting fingerprint writes nothing.
    /// </summary>
    public async Task<RegisterOutcome> RegisterAsync(string ns, string workerId, RegistrationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var existing = await ReadForUpdateAsync(connection, transaction, ns, workerId, cancellationToken);
        var check = FingerprintGuard.Evaluate(existing, request);
        if (check.ChangedWorkflowType is { } changed)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new RegisterOutcome(null, changed);
        }

        WorkerRegistration registration;
        await using (var upsert = new NpgsqlCommand(
            $"""
            INSERT INTO workflow_worker_registrations AS r
                (namespace, worker_id, task_queue, runtime, sdk_version, build_id, supported_workflow_types,
                 supported_activity_types, workflow_definition_fingerprints, capabilities, workflow_command_contracts,
                 max_concurrent_workflow_tasks, max_concurrent_activity_tasks, task_slots, process_metrics,
                 heartbeat_interval_seconds, status, last_heartbeat_at, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                    CASE WHEN EXISTS (SELECT 1 FROM workflow_worker_build_id_rollouts b
                                       WHERE b.namespace = $1 AND b.task_queue = $3
                                         AND b.build_id = COALESCE(btrim($6), '') AND b.drain_intent = 'draining')
                         THEN 'draining' ELSE 'active' END,
                    now(), now(), now())
            ON CONFLICT (namespace, worker_id) DO UPDATE
               SET task_queue = EXCLUDED.task_queue,
                   runtime = EXCLUDED.runtime,
                   sdk_version = EXCLUDED.sdk_version,
                   build_id = EXCLUDED.build_id,
                   supported_workflow_types = EXCLUDED.supported_workflow_types,
                   supported_activity_types = EXCLUDED.supported_activity_types,
                   workflow_definition_fingerprints = EXCLUDED.workflow_definition_fingerprints,
                   capabilities = EXCLUDED.capabilities,
                   workflow_command_contracts = EXCLUDED.workflow_command_contracts,
                   max_concurrent_workflow_tasks = EXCLUDED.max_concurrent_workflow_tasks,
                   max_concurrent_activity_tasks = EXCLUDED.max_concurrent_activity_tasks,
                   task_slots = EXCLUDED.task_slots,
                   process_metrics = EXCLUDED.process_metrics,
                   heartbeat_interval_seconds = EXCLUDED.heartbeat_interval_seconds,
                   status = EXCLUDED.status,
                   last_heartbeat_at = EXCLUDED.last_heartbeat_at,
                   updated_at = EXCLUDED.updated_at
            RETURNING {Columns}, false
            """,
            connection,
            transaction))
        {
            upsert.Parameters.Add(Text(ns));
            upsert.Parameters.Add(Text(workerId));
            upsert.Parameters.Add(Text(request.TaskQueue));
            upsert.Parameters.Add(Text(request.Runtime));
            upsert.Parameters.Add(Text(request.SdkVersion));
            upsert.Parameters.Add(Text(request.BuildId));
            upsert.Parameters.Add(Jsonb(JsonSerializer.Serialize(request.SupportedWorkflowTypes ?? [])));
            upsert.Parameters.Add(Jsonb(JsonSerializer.Serialize(request.SupportedActivityTypes)));
            upsert.Parameters.Add(Jsonb(FingerprintJson(check.Fingerprints)));
            upsert.Parameters.Add(Jsonb(JsonSerializer.Serialize(request.Capabilities)));
            upsert.Parameters.Add(Jsonb(request.WorkflowCommandContractsJson));
            upsert.Parameters.Add(Integer(request.MaxConcurrentWorkflowTasks));
            upsert.Parameters.Add(Integer(request.MaxConcurrentActivityTasks));
            upsert.Parameters.Add(Jsonb(request.Telemetry.TaskSlotsJson));
            upsert.Parameters.Add(Jsonb(request.Telemetry.ProcessMetricsJson));
            upsert.Parameters.Add(Integer(request.Telemetry.HeartbeatIntervalSeconds));
            registration = (await ReadSingleAsync(upsert, cancellationToken))!;
        }

        await RecordFleetHeartbeatAsync(connection, transaction, registration, request.Telemetry, cancellationToken);
        await using (var queue = new NpgsqlCommand(
            "INSERT INTO workflow_task_queues (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", connection, transaction))
        {
            queue.Parameters.Add(Text(ns));
            queue.Parameters.Add(Text(registration.TaskQueue));
            await queue.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RegisterOutcome(registration, null);
    }

    /// <summary>Refreshes liveness and re-derives the status from the cohort's drain intent; null when not registered.</summary>
    public async Task<WorkerRegistration?> HeartbeatAsync(string ns, string workerId, WorkerTelemetry telemetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        WorkerRegistration? registration;
        await using (var update = new NpgsqlCommand(
            $"""
            UPDATE workflow_worker_registrations AS r
               SET last_heartbeat_at = now(),
                   updated_at = now(),
                   status = CASE WHEN {CohortDrainingOfRow} THEN 'draining' ELSE 'active' END,
                   task_slots = COALESCE($3, r.task_slots),
                   process_metrics = COALESCE($4, r.process_metrics),
                   heartbeat_interval_seconds = COALESCE($5, r.heartbeat_interval_seconds)
             WHERE r.namespace = $1 AND r.worker_id = $2
            RETURNING {Columns}, false
            """,
            connection,
            transaction))
        {
            update.Parameters.Add(Text(ns));
            update.Parameters.Add(Text(workerId));
            update.Parameters.Add(Jsonb(telemetry.TaskSlotsJson));
            update.Parameters.Add(Jsonb(telemetry.ProcessMetricsJson));
            update.Parameters.Add(Integer(telemetry.HeartbeatIntervalSeconds));
            registration = await ReadSingleAsync(update, cancellationToken);
        }

        if (registration is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        await RecordFleetHeartbeatAsync(connection, transaction, registration, telemetry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return registration;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>
    /// Removes the registration and hands this worker's leased workflow tasks back to <c>ready</c> (docs/schema.md §6.4):
    /// runs are locked first in id order, then the tasks are updated. Also drops the worker's fleet heartbeats, since a
    /// worker that said goodbye no longer covers its markers. Null when there was no registration.
    /// </summary>
    public async Task<DeregisterOutcome?> DeregisterAsync(string ns, string workerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand(
            "DELETE FROM workflow_worker_registrations WHERE namespace = $1 AND worker_id = $2 RETURNING worker_id", connection, transaction))
        {
            delete.Parameters.Add(Text(ns));
            delete.Parameters.Add(Text(workerId));
            if (await delete.ExecuteScalarAsync(cancellationToken) is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                return null;
            }
        }

        await using (var lockRuns = new NpgsqlCommand(
            """
            SELECT id FROM workflow_runs
             WHERE id IN (SELECT run_id FROM workflow_tasks
                           WHERE status = 'leased' AND namespace = $1 AND lease_owner = $2)
             ORDER BY id FOR NO KEY UPDATE
            """,
            connection,
            transaction))
        {
            lockRuns.Parameters.Add(Text(ns));
            lockRuns.Parameters.Add(Text(workerId));
            await using var reader = await lockRuns.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // Reading drains the locking cursor; the ids themselves are not needed.
            }
        }

        var leased = new List<string>();
        await using (var find = new NpgsqlCommand(
            "SELECT id FROM workflow_tasks WHERE status = 'leased' AND namespace = $1 AND lease_owner = $2 AND task_type = 'workflow' ORDER BY id",
            connection,
            transaction))
        {
            find.Parameters.Add(Text(ns));
            find.Parameters.Add(Text(workerId));
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                leased.Add(reader.GetString(0));
            }
        }

        // The runs are locked, so these leases cannot change hands before they are released.
        var released = await TaskRows.ReleaseLeasesAsync(
            (sql, parameters) => Command(connection, transaction, sql, parameters), leased, new LeaseRelease { RunOpen = true }, cancellationToken);
        var recovered = released.Count;
        var queues = new SortedSet<string>(released.Select(task => task.TaskQueue), StringComparer.Ordinal);

        await using (var fleet = new NpgsqlCommand(
            "DELETE FROM workflow_worker_compatibility_heartbeats WHERE worker_id = $1 AND namespace = $2", connection, transaction))
        {
            fleet.Parameters.Add(Text(workerId));
            fleet.Parameters.Add(Text(ns));
            await fleet.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new DeregisterOutcome(recovered, [.. queues]);
    }

    /// <summary>
    /// The registration for poll admission. Its status follows the cohort's rollout row when one exists, so a drain or
    /// resume applies to the very next poll; without a row the stored status stands.
    /// </summary>
    public async Task<WorkerRegistration?> FindForPollAsync(string ns, string workerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ForPollSql);
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(workerId));
        return await ReadForPollAsync(command, cancellationToken);
    }

    /// <summary>
    /// The same lookup as the first statement of the poll's first claim transaction, so admission is not a
    /// transaction of its own. It takes no lock and reads a fresh snapshot, exactly as on its own.
    /// </summary>
    public static async Task<WorkerRegistration?> FindForPollAsync(EngineTransaction tx, string ns, string workerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(ForPollSql, Text(ns), Text(workerId));
        return await ReadForPollAsync(command, cancellationToken);
    }

    private const string ForPollSql =
        $"""
        SELECT {Columns}, false,
               CASE WHEN b.drain_intent = 'draining' THEN 'draining'
                    WHEN b.drain_intent IS NOT NULL THEN 'active'
                    ELSE r.status END
          FROM workflow_worker_registrations r
          LEFT JOIN workflow_worker_build_id_rollouts b
            ON b.namespace = r.namespace AND b.task_queue = r.task_queue AND b.build_id = r.build_id_key
         WHERE r.namespace = $1 AND r.worker_id = $2
        """;

    private static async Task<WorkerRegistration?> ReadForPollAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return Read(reader) with { Status = reader.GetString(21) };
    }

    /// <summary>Registrations of a namespace, newest heartbeat first; <paramref name="status"/> matches the stored status.</summary>
    public async Task<IReadOnlyList<WorkerRegistration>> ListAsync(string ns, string? taskQueue, string? status, int staleAfterSeconds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {Columns}, {StaleExpression("$4")}
              FROM workflow_worker_registrations r
             WHERE r.namespace = $1
               AND ($2::text IS NULL OR r.task_queue = $2)
               AND ($3::text IS NULL OR r.status = $3)
             ORDER BY r.last_heartbeat_at DESC, r.worker_id
            """);
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(taskQueue));
        command.Parameters.Add(Text(status));
        command.Parameters.Add(Integer(staleAfterSeconds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<WorkerRegistration>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    public async Task<WorkerRegistration?> FindAsync(string ns, string workerId, int staleAfterSeconds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {Columns}, {StaleExpression("$3")}
              FROM workflow_worker_registrations r
             WHERE r.namespace = $1 AND r.worker_id = $2
            """);
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(workerId));
        command.Parameters.Add(Integer(staleAfterSeconds));
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>Deletes the registration row only (control plane §7.3); leases and fleet heartbeats age out on their own.</summary>
    public async Task<bool> DeleteAsync(string ns, string workerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM workflow_worker_registrations WHERE namespace = $1 AND worker_id = $2");
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(workerId));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>sha256 hex of <c>{namespace, connection, queue}</c>, the fleet heartbeat scope (rollout contract §5.4).</summary>
    public static string ScopeKey(string? ns, string? connection, string? queue)
    {
        var scope = new JsonObject { ["namespace"] = ns, ["connection"] = connection, ["queue"] = queue }.ToJsonString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)));
    }

    // Strict "older than W" (rollout contract §6.2, build-id predicate); a null heartbeat is never stale.
    private static string StaleExpression(string parameter) =>
        $"(r.last_heartbeat_at IS NOT NULL AND r.last_heartbeat_at < now() - make_interval(secs => {parameter}))";

    /// <summary>
    /// One scope per registration (namespace, no connection, registered queue). Other scopes of this worker id in this
    /// namespace are removed; an unchanged snapshot is only re-written once the write interval has passed.
    /// </summary>
    private async Task RecordFleetHeartbeatAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        WorkerRegistration registration,
        WorkerTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        var scopeKey = ScopeKey(registration.Namespace, null, registration.TaskQueue);
        string[] supported = registration.MatchingBuildId is { } marker ? [marker] : [];
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch)
        {
            var prune = new NpgsqlBatchCommand(
                "DELETE FROM workflow_worker_compatibility_heartbeats WHERE worker_id = $1 AND namespace = $2 AND scope_key <> $3");
            prune.Parameters.Add(Text(registration.WorkerId));
            prune.Parameters.Add(Text(registration.Namespace));
            prune.Parameters.Add(Text(scopeKey));
            batch.BatchCommands.Add(prune);

            var upsert = new NpgsqlBatchCommand(
                $"""
                INSERT INTO workflow_worker_compatibility_heartbeats AS h
                    (worker_id, scope_key, namespace, host, process_id, connection, queue, supported, recorded_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, now(), now() + make_interval(secs => $8))
                ON CONFLICT (worker_id, scope_key) DO UPDATE
                   SET host = COALESCE(EXCLUDED.host, h.host),
                       process_id = COALESCE(EXCLUDED.process_id, h.process_id),
                       supported = EXCLUDED.supported,
                       recorded_at = EXCLUDED.recorded_at,
                       expires_at = EXCLUDED.expires_at
                 WHERE h.supported IS DISTINCT FROM EXCLUDED.supported
                    OR h.recorded_at <= now() - make_interval(secs => $9)
                """);
            upsert.Parameters.Add(Text(registration.WorkerId));
            upsert.Parameters.Add(Text(scopeKey));
            upsert.Parameters.Add(Text(registration.Namespace));
            upsert.Parameters.Add(Text(telemetry.Host));
            upsert.Parameters.Add(Text(telemetry.ProcessId));
            upsert.Parameters.Add(Text(registration.TaskQueue));
            upsert.Parameters.Add(Jsonb(JsonSerializer.Serialize(supported)));
            upsert.Parameters.Add(Integer(settings.Compatibility.HeartbeatTtlSeconds));
            upsert.Parameters.Add(Integer(settings.Compatibility.HeartbeatWriteIntervalSeconds));
            batch.BatchCommands.Add(upsert);

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<ExistingRegistration?> ReadForUpdateAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string ns, string workerId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT status, workflow_definition_fingerprints, supported_workflow_types
              FROM workflow_worker_registrations
             WHERE namespace = $1 AND worker_id = $2
               FOR UPDATE
            """,
            connection,
            transaction);
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(workerId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ExistingRegistration(reader.GetString(0), ReadFingerprints(reader.GetString(1)), ReadStrings(reader.GetString(2)));
    }

    private static async Task<WorkerRegistration?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static WorkerRegistration Read(NpgsqlDataReader reader) => new()
    {
        Namespace = reader.GetString(0),
        WorkerId = reader.GetString(1),
        TaskQueue = reader.GetString(2),
        Runtime = reader.GetString(3),
        SdkVersion = reader.IsDBNull(4) ? null : reader.GetString(4),
        BuildId = reader.IsDBNull(5) ? null : reader.GetString(5),
        SupportedWorkflowTypes = ReadStrings(reader.GetString(6)),
        SupportedActivityTypes = ReadStrings(reader.GetString(7)),
        WorkflowDefinitionFingerprints = ReadFingerprints(reader.GetString(8)),
        Capabilities = ReadStrings(reader.GetString(9)),
        WorkflowCommandContracts = ParseElement(reader.GetString(10)),
        MaxConcurrentWorkflowTasks = reader.GetInt32(11),
        MaxConcurrentActivityTasks = reader.GetInt32(12),
        TaskSlots = reader.IsDBNull(13) ? null : ParseElement(reader.GetString(13)),
        ProcessMetrics = reader.IsDBNull(14) ? null : ParseElement(reader.GetString(14)),
        HeartbeatIntervalSeconds = reader.IsDBNull(15) ? null : reader.GetInt32(15),
        Status = reader.GetString(16),
        LastHeartbeatAt = reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTimeOffset>(17),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(18),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(19),
        IsStale = reader.GetBoolean(20),
    };

    private static JsonElement ParseElement(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Tolerates rows written by other tools: non-string items are skipped rather than failing the read.</summary>
    private static List<string> ReadStrings(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = new List<string>();
        if (document.RootElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    result.Add(item.GetString()!);
                }
            }
        }

        return result;
    }

    private static Dictionary<string, string> ReadFingerprints(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (document.RootElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    result[property.Name] = property.Value.GetString()!;
                }
            }
        }

        return result;
    }

    private static string FingerprintJson(IReadOnlyList<KeyValuePair<string, string>> fingerprints)
    {
        var obj = new JsonObject();
        foreach (var (type, fingerprint) in fingerprints)
        {
            obj[type] = fingerprint;
        }

        return obj.ToJsonString();
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Integer(int? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter Jsonb(string? json) =>
        new() { Value = (object?)json ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb };
}

/// <summary>The parts of a stored registration the fingerprint guard needs.</summary>
public sealed record ExistingRegistration(
    string Status,
    IReadOnlyDictionary<string, string> Fingerprints,
    IReadOnlyList<string> SupportedWorkflowTypes);

/// <summary>Either the stored registration, or the workflow type whose fingerprint changed (nothing written).</summary>
public sealed record RegisterOutcome(WorkerRegistration? Registration, string? ChangedWorkflowType);

public sealed record DeregisterOutcome(int RecoveredWorkflowTaskCount, IReadOnlyList<string> RecoveredTaskQueues);
