using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Scheduling.Schedules;
using Npgsql;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// Builds the namespace-scoped operator-metrics snapshot (control-plane §10.2, rollout contract §12). One batch of
/// aggregate queries, so every figure is taken at the same database instant; read-only.
/// </summary>
public sealed class OperatorMetricsReader(NpgsqlDataSource dataSource, ServerSettings settings, FleetSnapshotReader repairScan)
{
    public const int ContinueAsNewEventThreshold = 10_000;
    public const long ContinueAsNewSizeBytesThreshold = 5_242_880;

    // Liveness is read through the blocked projection (rollout contract §5.6): a run whose next task no live worker
    // and not this node can take counts as compatibility-blocked, never as repair-needed or claim-failed, and is
    // waiting since its wait started or, failing that, since the task became due.
    private static readonly string RunsSql =
        $"""
        WITH r AS (
            SELECT r.*, i.current_run_id, {CompatibilityRouting.LivenessSql("r")} AS live_state,
                   COALESCE(r.wait_started_at, blocked.blocked_since) AS blocked_wait_since,
                   blocked.blocked_kind IS NOT NULL AS blocked
              FROM workflow_runs r
              JOIN workflow_instances i ON i.id = r.workflow_instance_id
              {CompatibilityRouting.BlockedTaskLateral("r", "$4")}
             WHERE r.namespace = $1
        )
        SELECT now(), count(*)::int,
               count(*) FILTER (WHERE r.current_run_id = r.id)::int,
               count(*) FILTER (WHERE r.status_bucket = 'running')::int,
               count(*) FILTER (WHERE r.status = 'completed')::int,
               count(*) FILTER (WHERE r.status = 'failed')::int,
               count(*) FILTER (WHERE r.status = 'cancelled')::int,
               count(*) FILTER (WHERE r.status = 'terminated')::int,
               count(*) FILTER (WHERE r.archived_at IS NOT NULL)::int,
               count(*) FILTER (WHERE r.live_state = 'repair_needed')::int,
               min(COALESCE(r.updated_at, r.started_at)) FILTER (WHERE r.live_state = 'repair_needed'),
               count(*) FILTER (WHERE r.live_state LIKE '%\_task\_claim\_failed')::int,
               count(*) FILTER (WHERE r.live_state LIKE '%\_task\_waiting\_for\_compatible\_worker')::int,
               min(COALESCE(r.blocked_wait_since, r.next_task_at))
                   FILTER (WHERE r.live_state LIKE '%\_task\_waiting\_for\_compatible\_worker'),
               count(*) FILTER (WHERE r.status_bucket = 'running' AND r.blocked_wait_since IS NOT NULL)::int,
               min(r.blocked_wait_since) FILTER (WHERE r.status_bucket = 'running'),
               count(*) FILTER (WHERE r.status = 'pending')::int,
               min(r.created_at) FILTER (WHERE r.status = 'pending'),
               COALESCE(sum(r.last_history_sequence), 0)::bigint,
               COALESCE(max(r.last_history_sequence), 0)::bigint,
               COALESCE(max(r.history_size_bytes), 0)::bigint,
               count(*) FILTER (WHERE r.status_bucket = 'running'
                   AND (r.last_history_sequence >= $2 OR r.history_size_bytes >= $3))::int
          FROM r
        """;

    // The per-path predicates are those of the repair scan (rollout contract §8.3), made exclusive in the order
    // dispatch failed, claim failed, overdue so the unhealthy sum counts each task once.
    private const string TasksSql =
        """
        WITH t AS (
            SELECT t.status, t.available_at, t.created_at, t.lease_expires_at, t.last_dispatched_at,
                   t.last_dispatch_attempt_at, t.last_claim_failed_at, t.attempt_count, t.repair_count,
                   t.run_id, r.status = 'pending' AS run_pending,
                   (t.status = 'ready' AND t.last_dispatch_attempt_at IS NOT NULL
                    AND btrim(COALESCE(t.last_dispatch_error, '')) <> ''
                    AND (t.last_dispatched_at IS NULL OR t.last_dispatched_at < t.last_dispatch_attempt_at)) AS dispatch_failed,
                   (t.status = 'ready' AND t.last_claim_failed_at IS NOT NULL
                    AND btrim(COALESCE(t.last_claim_error, '')) <> '') AS claim_failed_raw
              FROM workflow_tasks t
              JOIN workflow_runs r ON r.id = t.run_id
             WHERE t.namespace = $1 AND t.status IN ('ready', 'leased')
        ), f AS (
            SELECT *, claim_failed_raw AND NOT dispatch_failed AS claim_failed,
                   (status = 'ready' AND available_at <= now() AND NOT dispatch_failed AND NOT claim_failed_raw
                    AND COALESCE(last_dispatched_at, created_at) <= now() - make_interval(secs => $2)) AS dispatch_overdue,
                   (status = 'leased' AND lease_expires_at <= now()) AS lease_expired
              FROM t
        )
        SELECT count(*)::int,
               count(*) FILTER (WHERE status = 'ready')::int,
               count(*) FILTER (WHERE status = 'ready' AND available_at <= now())::int,
               count(*) FILTER (WHERE status = 'ready' AND available_at > now())::int,
               count(*) FILTER (WHERE status = 'leased')::int,
               count(*) FILTER (WHERE dispatch_failed)::int,
               count(*) FILTER (WHERE claim_failed)::int,
               count(*) FILTER (WHERE dispatch_overdue)::int,
               count(*) FILTER (WHERE lease_expired)::int,
               min(lease_expires_at) FILTER (WHERE lease_expired),
               min(available_at) FILTER (WHERE status = 'ready' AND available_at <= now()),
               min(COALESCE(last_dispatched_at, created_at)) FILTER (WHERE dispatch_overdue),
               min(last_claim_failed_at) FILTER (WHERE claim_failed),
               min(last_dispatch_attempt_at) FILTER (WHERE dispatch_failed),
               COALESCE(max(attempt_count), 0)::int,
               COALESCE(max(repair_count), 0)::int,
               count(*) FILTER (WHERE status = 'ready' AND run_pending)::int,
               count(*) FILTER (WHERE created_at > now() - interval '60 seconds')::int,
               count(*) FILTER (WHERE last_dispatched_at > now() - interval '60 seconds')::int
          FROM f
        """;

    private const string ActivitiesSql =
        """
        WITH a AS (
            SELECT status, attempt_count, COALESCE(started_at, created_at) AS since,
                   NULLIF(LEAST(
                       CASE WHEN status = 'pending' AND schedule_deadline_at <= now() THEN schedule_deadline_at END,
                       CASE WHEN status = 'running' AND close_deadline_at <= now() THEN close_deadline_at END,
                       CASE WHEN schedule_to_close_deadline_at <= now() THEN schedule_to_close_deadline_at END,
                       CASE WHEN status = 'running' AND heartbeat_deadline_at <= now() THEN heartbeat_deadline_at END,
                       'infinity'::timestamptz), 'infinity'::timestamptz) AS overdue_at
              FROM workflow_activity_executions
             WHERE namespace = $1 AND status IN ('pending', 'running')
        )
        SELECT count(*)::int,
               count(*) FILTER (WHERE status = 'pending')::int,
               count(*) FILTER (WHERE status = 'running')::int,
               count(*) FILTER (WHERE status = 'pending' AND attempt_count > 0)::int,
               min(since) FILTER (WHERE status = 'pending' AND attempt_count > 0),
               count(overdue_at)::int,
               min(overdue_at),
               COALESCE(max(attempt_count), 0)::int,
               (SELECT count(*)::int FROM workflow_activity_attempts
                 WHERE namespace = $1 AND status IN ('failed', 'timed_out'))
          FROM a
        """;

    private const string FleetSql =
        """
        SELECT worker_id, host, process_id, connection, queue, supported::text, recorded_at, expires_at
          FROM workflow_worker_compatibility_heartbeats
         WHERE namespace = $1 AND expires_at >= now()
         ORDER BY worker_id, queue, scope_key
        """;

    public async Task<JsonObject> ReadAsync(string ns, CancellationToken cancellationToken)
    {
        var policy = TaskRepairPolicy.From(settings);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // One batch runs in one implicit transaction, so now() is the same instant in every statement.
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command(RunsSql, ns, ContinueAsNewEventThreshold, ContinueAsNewSizeBytesThreshold, settings.Compatibility.Supported.ToArray()));
        batch.BatchCommands.Add(Command(TasksSql, ns, policy.RedispatchAfterSeconds));
        batch.BatchCommands.Add(Command(ActivitiesSql, ns));
        batch.BatchCommands.Add(Command(ScheduleMetrics.Sql, ns));
        batch.BatchCommands.Add(Command(FleetSql, ns));

        JsonObject runs, tasks, activities, backlog, starts, history, schedules, workers;
        DateTimeOffset now;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            now = reader.GetFieldValue<DateTimeOffset>(0);
            var row = new Row(reader);
            var blockedSince = row.Time(13);
            runs = new JsonObject
            {
                ["total"] = row.Int(1),
                ["current"] = row.Int(2),
                ["running"] = row.Int(3),
                ["completed"] = row.Int(4),
                ["failed"] = row.Int(5),
                ["cancelled"] = row.Int(6),
                ["terminated"] = row.Int(7),
                ["archived"] = row.Int(8),
                ["repair_needed"] = row.Int(9),
            };
            AddAge(runs, "oldest_repair_needed_at", "max_repair_needed_age_ms", row.Time(10), now);
            runs["claim_failed"] = row.Int(11);
            runs["compatibility_blocked"] = row.Int(12);
            runs["waiting"] = row.Int(14);
            AddAge(runs, "oldest_wait_started_at", "max_wait_age_ms", row.Time(15), now);

            var pendingRuns = row.Int(16);
            var oldestPending = row.Time(17);
            history = new JsonObject
            {
                ["continue_as_new_recommended_runs"] = row.Int(21),
                ["events"] = row.Long(18),
                // History rows reference their run by foreign key, so an orphan cannot exist in this schema.
                ["history_orphan_total"] = 0,
                ["max_event_count"] = row.Long(19),
                ["max_size_bytes"] = row.Long(20),
                ["event_threshold"] = ContinueAsNewEventThreshold,
                ["size_bytes_threshold"] = ContinueAsNewSizeBytesThreshold,
            };

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            row = new Row(reader);
            var dispatchFailed = row.Int(5);
            var claimFailed = row.Int(6);
            var overdue = row.Int(7);
            var leaseExpired = row.Int(8);
            var oldestLeaseExpired = row.Time(9);
            var oldestOverdue = row.Time(11);
            var oldestClaimFailed = row.Time(12);
            var oldestDispatchFailed = row.Time(13);
            tasks = new JsonObject
            {
                ["open"] = row.Int(0),
                ["ready"] = row.Int(1),
                ["ready_due"] = row.Int(2),
                ["delayed"] = row.Int(3),
                ["leased"] = row.Int(4),
                ["dispatch_failed"] = dispatchFailed,
                ["claim_failed"] = claimFailed,
                ["dispatch_overdue"] = overdue,
                ["lease_expired"] = leaseExpired,
            };
            AddAge(tasks, "oldest_lease_expired_at", "max_lease_expired_age_ms", oldestLeaseExpired, now);
            AddAge(tasks, "oldest_ready_due_at", "max_ready_due_age_ms", row.Time(10), now);
            AddAge(tasks, "oldest_dispatch_overdue_since", "max_dispatch_overdue_age_ms", oldestOverdue, now);
            AddAge(tasks, "oldest_claim_failed_at", "max_claim_failed_age_ms", oldestClaimFailed, now);
            AddAge(tasks, "oldest_dispatch_failed_at", "max_dispatch_failed_age_ms", oldestDispatchFailed, now);
            var unhealthy = dispatchFailed + claimFailed + overdue + leaseExpired;
            tasks["unhealthy"] = unhealthy;
            AddAge(tasks, "oldest_unhealthy_at", "max_unhealthy_age_ms",
                new[] { oldestLeaseExpired, oldestOverdue, oldestClaimFailed, oldestDispatchFailed }.Min(), now);
            tasks["max_attempt_count"] = row.Int(14);
            tasks["max_repair_count"] = row.Int(15);

            starts = new JsonObject
            {
                ["pending_runs"] = pendingRuns,
                // Starts are accepted and stamped in one transaction here, so no start command is ever left pending.
                ["pending_commands"] = 0,
                ["ready_tasks"] = row.Int(16),
                ["oldest_pending_start_at"] = Stamp(oldestPending),
                ["max_pending_ms"] = AgeMs(oldestPending, now),
            };
            var tasksAdded = row.Int(17);
            var tasksDispatched = row.Int(18);

            backlog = new JsonObject
            {
                ["runnable_tasks"] = tasks["ready_due"]!.GetValue<int>(),
                ["delayed_tasks"] = tasks["delayed"]!.GetValue<int>(),
                ["leased_tasks"] = tasks["leased"]!.GetValue<int>(),
                ["unhealthy_tasks"] = unhealthy,
                ["repair_needed_runs"] = runs["repair_needed"]!.GetValue<int>(),
                ["claim_failed_runs"] = runs["claim_failed"]!.GetValue<int>(),
                ["compatibility_blocked_runs"] = runs["compatibility_blocked"]!.GetValue<int>(),
            };
            AddAge(backlog, "oldest_compatibility_blocked_started_at", "max_compatibility_blocked_age_ms", blockedSince, now);
            backlog["tasks_added_last_minute"] = tasksAdded;
            backlog["tasks_dispatched_last_minute"] = tasksDispatched;

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            row = new Row(reader);
            activities = new JsonObject
            {
                ["open"] = row.Int(0),
                ["pending"] = row.Int(1),
                ["running"] = row.Int(2),
                ["retrying"] = row.Int(3),
            };
            AddAge(activities, "oldest_retrying_started_at", "max_retrying_age_ms", row.Time(4), now);
            activities["timeout_overdue"] = row.Int(5);
            AddAge(activities, "oldest_timeout_overdue_at", "max_timeout_overdue_age_ms", row.Time(6), now);
            activities["failed_attempts"] = row.Int(8);
            activities["max_attempt_count"] = row.Int(7);
            backlog["retrying_activities"] = activities["retrying"]!.GetValue<int>();

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var schedule = ScheduleMetrics.Read(reader);
            schedules = new JsonObject
            {
                ["active"] = schedule.Active,
                ["paused"] = schedule.Paused,
                ["missed"] = schedule.Missed,
            };
            // The batch's own instant and age rule, so every max_*_age_ms here follows invariant 105 alike.
            AddAge(schedules, "oldest_overdue_at", "max_overdue_ms", schedule.OldestOverdueAt, now);
            schedules["fires_total"] = schedule.FiresTotal;
            schedules["failures_total"] = schedule.FailuresTotal;

            await reader.NextResultAsync(cancellationToken);
            workers = await ReadWorkersAsync(reader, ns, cancellationToken);
        }

        return new JsonObject
        {
            ["generated_at"] = WireTime.Micro(now),
            ["runs"] = runs,
            ["tasks"] = tasks,
            ["activities"] = activities,
            ["backlog"] = backlog,
            ["repair"] = JsonSerializer.SerializeToNode((await repairScan.ReadRepairAsync(cancellationToken)).Candidates, DiscoveryJsonContext.Default.TaskRepairCandidates),
            ["starts"] = starts,
            ["history"] = history,
            ["command_contracts"] = CommandContracts(),
            ["projections"] = OperatorProjections.Neutral(),
            ["schedules"] = schedules,
            ["workers"] = workers,
            ["backend"] = OperatorBackend.Describe(settings),
            ["structural_limits"] = JsonSerializer.SerializeToNode(StructuralLimits.Defaults, DiscoveryJsonContext.Default.StructuralLimits),
            ["update_wait"] = new JsonObject { ["completion_timeout_seconds"] = settings.UpdateWaitCompletionTimeoutSeconds, ["poll_interval_milliseconds"] = 50 },
            ["repair_policy"] = JsonSerializer.SerializeToNode(policy, DiscoveryJsonContext.Default.TaskRepairPolicy),
            ["matching_role"] = JsonSerializer.SerializeToNode(MatchingRoleSnapshot.From(settings), DiscoveryJsonContext.Default.MatchingRoleSnapshot),
        };
    }

    /// <summary>The <c>workers</c> block alone (live fleet heartbeats of a namespace), for readiness' bounded snapshot.</summary>
    public async Task<JsonObject> ReadFleetAsync(string ns, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(FleetSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadWorkersAsync(reader, ns, cancellationToken);
    }

    /// <summary>
    /// The fleet block (rollout contract §12.1): the required marker is this node's <c>DW_V2_CURRENT_COMPATIBILITY</c>;
    /// a row supports it when it advertises the marker or <c>*</c>, and with no marker required every worker does.
    /// </summary>
    private async Task<JsonObject> ReadWorkersAsync(NpgsqlDataReader reader, string ns, CancellationToken cancellationToken)
    {
        var required = settings.Compatibility.Current;
        var entries = new JsonArray();
        var workers = new HashSet<string>(StringComparer.Ordinal);
        var supporters = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var workerId = reader.GetString(0);
            workers.Add(workerId);
            var supported = JsonNode.Parse(reader.GetString(5)) as JsonArray ?? [];
            var markers = supported.Select(m => m?.GetValueKind() == JsonValueKind.String ? (string)m! : string.Empty).ToList();
            var supportsRequired = CompatibilityMarkers.Supports(markers, required);
            if (supportsRequired)
            {
                supporters.Add(workerId);
            }

            entries.Add(new JsonObject
            {
                ["worker_id"] = workerId,
                ["namespace"] = ns,
                ["host"] = reader.IsDBNull(1) ? null : reader.GetString(1),
                ["process_id"] = reader.IsDBNull(2) ? null : reader.GetString(2),
                ["connection"] = reader.IsDBNull(3) ? null : reader.GetString(3),
                ["queue"] = reader.IsDBNull(4) ? null : reader.GetString(4),
                ["supported"] = supported,
                ["supports_required"] = supportsRequired,
                ["recorded_at"] = WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(6)),
                ["expires_at"] = WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(7)),
                ["source"] = "database",
            });
        }

        return new JsonObject
        {
            ["compatibility_namespace"] = ns,
            ["required_compatibility"] = required,
            ["active_workers"] = workers.Count,
            ["active_worker_scopes"] = entries.Count,
            ["active_workers_supporting_required"] = supporters.Count,
            ["fleet"] = entries,
        };
    }

    /// <summary>Every run records its command contract when it starts, so no run ever needs a backfill.</summary>
    private static JsonObject CommandContracts() => new()
    {
        ["backfill_needed_runs"] = 0,
        ["backfill_available_runs"] = 0,
        ["backfill_unavailable_runs"] = 0,
    };

    private static NpgsqlBatchCommand Command(string sql, string ns, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static void AddAge(JsonObject block, string oldestKey, string ageKey, DateTimeOffset? oldest, DateTimeOffset now)
    {
        block[oldestKey] = Stamp(oldest);
        block[ageKey] = AgeMs(oldest, now);
    }

    private static string? Stamp(DateTimeOffset? value) => value is { } v ? WireTime.Micro(v) : null;

    /// <summary>At least 1 for a present timestamp, so an age is 0 exactly when its <c>oldest_*</c> is null (invariant 105).</summary>
    internal static long AgeMs(DateTimeOffset? oldest, DateTimeOffset now) =>
        oldest is { } o ? Math.Max(1, (long)Math.Ceiling((now - o).TotalMilliseconds)) : 0;

    private readonly struct Row(NpgsqlDataReader reader)
    {
        public int Int(int ordinal) => reader.GetInt32(ordinal);

        public long Long(int ordinal) => reader.GetInt64(ordinal);

        public DateTimeOffset? Time(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
    }
}
