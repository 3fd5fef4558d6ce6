using System.Text.Json;
using Npgsql;

namespace DurableWorkflow.Core.Workers;

/// <summary>
/// Build-id rollout rows (rollout contract §6.6) and the cohort reads of §6.3. Drain and resume stamp the cohort's
/// registrations in the same transaction as the intent (target behaviour, invariants 9 and 10), so no node has to
/// wait for a heartbeat. Timestamps are truncated to the second because the wire carries second-precision <c>Z</c>.
/// </summary>
public sealed partial class WorkerRegistrationRepository
{
    private const string RolloutColumns = "b.build_id, b.drain_intent, b.drained_at, b.promoted_at, b.rolled_back_at, b.new_start_selected";

    /// <summary>Every registration of the queue with its read-time staleness (strict build-id predicate, §6.2).</summary>
    public async Task<IReadOnlyList<CohortMember>> ReadCohortMembersAsync(string ns, string taskQueue, int staleAfterSeconds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT r.build_id_key, r.runtime, r.sdk_version, r.status, r.last_heartbeat_at, r.created_at,
                   {StaleExpression("$3")}, r.workflow_definition_fingerprints
              FROM workflow_worker_registrations r
             WHERE r.namespace = $1 AND r.task_queue = $2
            """);
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(taskQueue));
        command.Parameters.Add(Integer(staleAfterSeconds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<CohortMember>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new CohortMember(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetBoolean(6),
                ReadFingerprints(reader.GetString(7))));
        }

        return result;
    }

    public async Task<IReadOnlyList<BuildIdRollout>> ReadRolloutsAsync(string ns, string taskQueue, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {RolloutColumns} FROM workflow_worker_build_id_rollouts b WHERE b.namespace = $1 AND b.task_queue = $2");
        command.Parameters.Add(Text(ns));
        command.Parameters.Add(Text(taskQueue));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<BuildIdRollout>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(ReadRollout(reader));
        }

        return result;
    }

    /// <summary>
    /// Sets the cohort's intent to draining (a repeated drain keeps <c>drained_at</c>) and stamps every registration of
    /// the cohort draining. A draining build never takes new starts, so the selection flag is cleared.
    /// </summary>
    public Task<BuildIdRollout> DrainAsync(string ns, string taskQueue, string buildIdKey, CancellationToken cancellationToken) =>
        WriteIntentAsync(
            ns,
            taskQueue,
            buildIdKey,
            """
            INSERT INTO workflow_worker_build_id_rollouts AS b (namespace, task_queue, build_id, drain_intent, drained_at, updated_at)
            VALUES ($1, $2, $3, 'draining', date_trunc('second', now()), now())
            ON CONFLICT (namespace, task_queue, build_id) DO UPDATE
               SET drain_intent = 'draining',
                   drained_at = CASE WHEN b.drain_intent = 'draining' AND b.drained_at IS NOT NULL
                                     THEN b.drained_at ELSE EXCLUDED.drained_at END,
                   new_start_selected = false,
                   updated_at = now()
            """,
            """
            UPDATE workflow_worker_registrations
               SET status = 'draining', updated_at = now()
             WHERE namespace = $1 AND task_queue = $2 AND build_id_key = $3 AND status <> 'draining'
            """,
            cancellationToken);

    /// <summary>Sets the cohort's intent to active (creating the row when absent) and flips draining registrations back.</summary>
    public Task<BuildIdRollout> ResumeAsync(string ns, string taskQueue, string buildIdKey, CancellationToken cancellationToken) =>
        WriteIntentAsync(
            ns,
            taskQueue,
            buildIdKey,
            """
            INSERT INTO workflow_worker_build_id_rollouts AS b (namespace, task_queue, build_id, drain_intent, drained_at, updated_at)
            VALUES ($1, $2, $3, 'active', NULL, now())
            ON CONFLICT (namespace, task_queue, build_id) DO UPDATE
               SET drain_intent = 'active', drained_at = NULL, updated_at = now()
            """,
            """
            UPDATE workflow_worker_registrations
               SET status = 'active', updated_at = now()
             WHERE namespace = $1 AND task_queue = $2 AND build_id_key = $3 AND status = 'draining'
            """,
            cancellationToken);

    /// <summary>
    /// Evaluates the promotion blockages and, when there are none, selects the build for new starts on the queue in
    /// the same transaction. Promotes of one queue are serialised by a transaction-scoped advisory lock, so the check
    /// and the switch see the same fleet and two promotes never both hold the selection.
    /// </summary>
    public async Task<PromoteOutcome> PromoteAsync(string ns, string taskQueue, string buildIdKey, int staleAfterSeconds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockQueue = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", connection, transaction))
        {
            lockQueue.Parameters.Add(Text($"build-id-rollout/{ns}/{taskQueue}"));
            await lockQueue.ExecuteNonQueryAsync(cancellationToken);
        }

        PromoteFacts facts;
        await using (var read = new NpgsqlCommand(
            $"""
            SELECT (SELECT count(*) FROM workflow_worker_registrations r
                     WHERE r.namespace = $1 AND r.task_queue = $2 AND r.build_id_key = $3),
                   b.drain_intent, b.rolled_back_at IS NOT NULL,
                   (SELECT count(*) FROM workflow_worker_registrations r
                     WHERE r.namespace = $1 AND r.task_queue = $2 AND r.build_id_key = $3
                       AND r.status = 'active' AND NOT {StaleExpression("$4")}),
                   (SELECT count(*) FROM workflow_worker_registrations r
                     WHERE r.namespace = $1 AND r.task_queue = $2 AND r.build_id_key = $3
                       AND r.status = 'active' AND NOT {StaleExpression("$4")}
                       AND EXISTS (SELECT 1 FROM workflow_worker_compatibility_heartbeats h
                                    WHERE h.worker_id = r.worker_id AND h.namespace = r.namespace
                                      AND (h.queue IS NULL OR h.queue = r.task_queue) AND h.expires_at >= now())),
                   (SELECT COALESCE(jsonb_agg(r.workflow_definition_fingerprints), '[]'::jsonb)
                      FROM workflow_worker_registrations r
                     WHERE r.namespace = $1 AND r.task_queue = $2 AND r.build_id_key = $3
                       AND r.status = 'active' AND NOT {StaleExpression("$4")})
              FROM (SELECT 1) one
              LEFT JOIN workflow_worker_build_id_rollouts b
                ON b.namespace = $1 AND b.task_queue = $2 AND b.build_id = $3
            """,
            connection,
            transaction))
        {
            read.Parameters.Add(Text(ns));
            read.Parameters.Add(Text(taskQueue));
            read.Parameters.Add(Text(buildIdKey));
            read.Parameters.Add(Integer(staleAfterSeconds));
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var fingerprints = new List<IReadOnlyDictionary<string, string>>();
            using (var document = JsonDocument.Parse(reader.GetString(5)))
            {
                foreach (var item in document.RootElement.EnumerateArray())
                {
                    fingerprints.Add(ReadFingerprints(item.GetRawText()));
                }
            }

            facts = new PromoteFacts(
                RegistrationCount: reader.GetInt64(0),
                HasRollout: !reader.IsDBNull(1),
                Draining: !reader.IsDBNull(1) && reader.GetString(1) == WorkerStatus.Draining,
                RolledBack: !reader.IsDBNull(2) && reader.GetBoolean(2),
                LiveActiveCount: reader.GetInt64(3),
                LiveWithHeartbeatCount: reader.GetInt64(4),
                LiveFingerprints: fingerprints);
        }

        var blockages = PromotionBlockage.Evaluate(facts);
        if (blockages.Count > 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new PromoteOutcome(null, blockages);
        }

        await using (var switchSelection = new NpgsqlCommand(
            """
            UPDATE workflow_worker_build_id_rollouts
               SET new_start_selected = false, updated_at = now()
             WHERE namespace = $1 AND task_queue = $2 AND build_id <> $3 AND new_start_selected
            """,
            connection,
            transaction))
        {
            switchSelection.Parameters.Add(Text(ns));
            switchSelection.Parameters.Add(Text(taskQueue));
            switchSelection.Parameters.Add(Text(buildIdKey));
            await switchSelection.ExecuteNonQueryAsync(cancellationToken);
        }

        BuildIdRollout rollout;
        await using (var upsert = new NpgsqlCommand(
            $"""
            INSERT INTO workflow_worker_build_id_rollouts AS b (namespace, task_queue, build_id, promoted_at, new_start_selected, updated_at)
            VALUES ($1, $2, $3, date_trunc('second', now()), true, now())
            ON CONFLICT (namespace, task_queue, build_id) DO UPDATE
               SET promoted_at = EXCLUDED.promoted_at, new_start_selected = true, updated_at = now()
            RETURNING {RolloutColumns}
            """,
            connection,
            transaction))
        {
            upsert.Parameters.Add(Text(ns));
            upsert.Parameters.Add(Text(taskQueue));
            upsert.Parameters.Add(Text(buildIdKey));
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            rollout = ReadRollout(reader);
        }

        await transaction.CommitAsync(cancellationToken);
        return new PromoteOutcome(rollout, []);
    }

    private async Task<BuildIdRollout> WriteIntentAsync(
        string ns, string taskQueue, string buildIdKey, string upsertSql, string stampSql, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        BuildIdRollout rollout;
        await using (var upsert = new NpgsqlCommand($"{upsertSql} RETURNING {RolloutColumns}", connection, transaction))
        {
            upsert.Parameters.Add(Text(ns));
            upsert.Parameters.Add(Text(taskQueue));
            upsert.Parameters.Add(Text(buildIdKey));
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            rollout = ReadRollout(reader);
        }

        await using (var stamp = new NpgsqlCommand(stampSql, connection, transaction))
        {
            stamp.Parameters.Add(Text(ns));
            stamp.Parameters.Add(Text(taskQueue));
            stamp.Parameters.Add(Text(buildIdKey));
            await stamp.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rollout;
    }

    private static BuildIdRollout ReadRollout(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
        reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
        reader.GetBoolean(5));
}

/// <summary>One registration as the cohort aggregation needs it; <see cref="BuildIdKey"/> is '' for the unversioned cohort.</summary>
public sealed record CohortMember(
    string BuildIdKey,
    string Runtime,
    string? SdkVersion,
    string Status,
    DateTimeOffset? LastHeartbeatAt,
    DateTimeOffset CreatedAt,
    bool IsStale,
    IReadOnlyDictionary<string, string> Fingerprints);

/// <summary>One row of <c>workflow_worker_build_id_rollouts</c>; <see cref="BuildIdKey"/> is '' for the unversioned cohort.</summary>
public sealed record BuildIdRollout(
    string BuildIdKey,
    string DrainIntent,
    DateTimeOffset? DrainedAt,
    DateTimeOffset? PromotedAt,
    DateTimeOffset? RolledBackAt,
    bool NewStartSelected);

/// <summary>Either the promoted rollout row, or the ordered blockages (nothing written).</summary>
public sealed record PromoteOutcome(BuildIdRollout? Rollout, IReadOnlyList<PromotionBlockage> Blockages);
