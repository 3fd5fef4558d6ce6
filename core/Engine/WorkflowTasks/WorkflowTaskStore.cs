using System.Text.Json.Nodes;
using System.Text.Json;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Npgsql;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>
/// The SQL of workflow tasks (docs/schema.md §6.1–§6.4), as <c>ActivityStore</c> is for activities: the claim, the
/// locked view behind the ownership guard, lease renewal, completion, the retry after <c>/fail</c> and lease recovery.
/// New rows come from <see cref="TaskRows"/>. Status predicates are SQL literals so the partial indexes apply.
/// </summary>
public static class WorkflowTaskStore
{
    /// <summary>
    /// Finds the task and locks its instance, run and task in one statement; null when the task is unknown in the
    /// namespace.
    /// </summary>
    public static async Task<(RunState Run, WorkflowTaskRow Task)?> LockAsync(
        EngineTransaction tx, string ns, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        // Instance, then run, then task: the engine's lock order (control-plane commands lock instance before run, and a
        // completion may continue-as-new, which updates the instance, so it must not close a deadlock cycle with a
        // concurrent signal or cancel). PostgreSQL takes the row locks of one statement in the order of its locking
        // clauses, and a row that changed while its lock was awaited is re-read, so the columns returned are the
        // locked versions, as the three separate reads returned them.
        await using var find = tx.Command(
            $"""
            SELECT {WorkflowTaskRow.ColumnsOf("t")}, {RunState.ColumnsOf("r")}
              FROM workflow_tasks t
              JOIN workflow_runs r ON r.id = t.run_id
              JOIN workflow_instances i ON i.id = r.workflow_instance_id
             WHERE t.id = $1 AND t.namespace = $2 AND t.task_type = 'workflow'
               FOR NO KEY UPDATE OF i
               FOR NO KEY UPDATE OF r
               FOR UPDATE OF t
            """,
            taskId, ns);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return (RunState.Read(reader, WorkflowTaskRow.ColumnCount), WorkflowTaskRow.Read(reader));
    }

    /// <summary>
    /// Leases the next matching ready task of the worker's queue and marks its run as running, under the run lock the
    /// claim took. Neither claimed nor refused when nothing is claimable, and then the statement wrote nothing; tasks of
    /// runs being written elsewhere are skipped, never waited on.
    /// This one statement is both the poll-time filter and the claim-time fence (rollout contract §5.3, §7.3): a task
    /// whose effective marker (<see cref="CompatibilityRouting.EffectiveMarkerSql"/>) the worker does not match, or
    /// whose run is pinned to a fingerprint the worker does not advertise, is never selected, so a refusal leaves
    /// the row exactly as it was. The first claim of a run without a recorded fingerprint records the claimer's. The
    /// run's update (<see cref="RunWriter.MarkTaskLeasedSql"/>) rides in the same statement and returns the run fields
    /// of the task payload; so do the poll's idempotency record (<see cref="PollRequestStore.RecordClaimCte"/>, when
    /// the poll holds a <paramref name="reservation"/>) and the first page of history up to the task's cutoff. Refused
    /// when the record could not take the poll's key (another poll holds it): the claim is then in the transaction and
    /// the caller must roll it back, never commit.
    /// </summary>
    public static async Task<PollClaim<ClaimedWorkflowTask>> ClaimAsync(
        EngineTransaction tx,
        string ns,
        WorkerRegistration worker,
        int leaseSeconds,
        bool pinToFingerprint,
        PollReservation? reservation,
        int historyPageSize,
        bool lookWhenEmpty,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(worker);
        var record = reservation is null ? string.Empty : $", recorded AS ({PollRequestStore.RecordClaimCte("claimed", "claimed.attempt_count", "NULL::text", 11)})";
        var recorded = reservation is null ? "true" : "EXISTS (SELECT 1 FROM recorded)";
        object?[] parameters =
        [
            ns, worker.TaskQueue, SqlValue.Text(worker.MatchingBuildId), worker.SupportedWorkflowTypes.ToArray(),
            JsonSerializer.Serialize(worker.WorkflowDefinitionFingerprints), worker.WorkerId, leaseSeconds, pinToFingerprint, historyPageSize,
            lookWhenEmpty, .. (reservation is null ? [] : PollRequestStore.RecordClaimParameters(reservation)),
        ];

        // The page is aggregated into one column so the payload comes back as one row. Its events are the ones the
        // statement's snapshot sees; the caller re-reads the page in the rare case that the run lock followed a newer
        // run row than that snapshot (see ClaimedWorkflowTask.PageIsShort). An empty claim's look asks for any due task
        // only when none it may claim is due, since one it may claim is also one of the queue's (DueTaskSql.AnyDueOnQueue).
        await using var claim = tx.Command(
            $"""
            WITH picked AS (
                SELECT t.id, t.run_id, r.last_history_sequence, r.compatibility AS run_marker
                  FROM workflow_tasks t
                  JOIN workflow_runs r ON r.id = t.run_id
                 WHERE {ClaimableSql("$1", "$2", "$3", "$4", "$5", "$8")}
                 ORDER BY {DueTaskSql.ClaimOrder}
                 LIMIT 1
                   FOR UPDATE OF t SKIP LOCKED
                   FOR NO KEY UPDATE OF r SKIP LOCKED
            ), run AS ({RunWriter.MarkTaskLeasedSql("picked", "$5")}
            ), claimed AS (
                UPDATE workflow_tasks t
                   SET status = 'leased', lease_owner = $6, leased_at = now(),
                       lease_expires_at = now() + make_interval(secs => $7), attempt_count = t.attempt_count + 1,
                       history_cutoff_sequence = picked.last_history_sequence,
                       compatibility = COALESCE(NULLIF(t.compatibility, ''), picked.run_marker),
                       last_claim_error = NULL, last_claim_failed_at = NULL, last_dispatched_at = now(), updated_at = now()
                  FROM picked
                 WHERE t.id = picked.id
                RETURNING t.*
            ), page AS (
                SELECT h.sequence, h.id, h.event_type, h.payload, h.workflow_task_id, h.workflow_command_id, h.recorded_at
                  FROM picked
                  JOIN workflow_history_events h ON h.run_id = picked.run_id
                 WHERE h.sequence > 0 AND h.sequence <= picked.last_history_sequence
                 ORDER BY h.sequence
                 LIMIT $9
            ){record}
            SELECT {WorkflowTaskRow.ColumnsOf("t")},
                   run.workflow_instance_id, run.workflow_type, run.payload_codec, run.arguments, run.status, {recorded},
                   (SELECT json_agg(json_build_array(p.sequence, p.id, p.event_type, p.payload, p.workflow_task_id, p.workflow_command_id,
                                                     (extract(epoch FROM p.recorded_at) * 1000000)::bigint) ORDER BY p.sequence)::text
                      FROM page p),
                   NULL::boolean, NULL::boolean
              FROM claimed t CROSS JOIN run
            UNION ALL
            SELECT {SqlRows.Nulls(WorkflowTaskRow.ColumnCount + 7)},
                   look.mine, look.mine OR {DueTaskSql.AnyDueOnQueue("workflow", "$1", "$2")}
              FROM (SELECT (SELECT 1 FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
                             WHERE {ClaimableSql("$1", "$2", "$3", "$4", "$5", "$8")}
                             ORDER BY {DueTaskSql.ClaimOrder} LIMIT 1) IS NOT NULL AS mine) look
             WHERE $10 AND NOT EXISTS (SELECT 1 FROM claimed)
            """,
            parameters);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return default;
        }

        const int at = WorkflowTaskRow.ColumnCount;
        if (reader.IsDBNull(0))
        {
            return new PollClaim<ClaimedWorkflowTask>(null, Refused: false, new ClaimLook(reader.GetBoolean(at + 7), reader.GetBoolean(at + 8)));
        }

        if (!reader.GetBoolean(at + 5))
        {
            return new PollClaim<ClaimedWorkflowTask>(null, Refused: true);
        }

        if (reservation is not null)
        {
            PollRequestStore.WakeRecorded(tx, reservation);
        }

        var task = WorkflowTaskRow.Read(reader);
        return new PollClaim<ClaimedWorkflowTask>(
            new ClaimedWorkflowTask(
                task,
                new TaskRunFields(reader.GetString(at), reader.GetString(at + 1), reader.GetString(at + 2), reader.JsonOrNull(at + 3), reader.GetString(at + 4)),
                ReadPage(reader.IsDBNull(at + 6) ? null : reader.GetString(at + 6)),
                historyPageSize),
            Refused: false);
    }

    /// <summary>
    /// Which ready tasks of the queue (<c>t</c>, joined to its run <c>r</c>) a worker may claim now: the claim's filter and
    /// fence, and what its look tests. The arguments are the statement's placeholders.
    /// </summary>
    private static string ClaimableSql(string ns, string queue, string buildId, string types, string fingerprints, string pin) =>
        $"""
        {DueTaskSql.DueOnQueue("workflow", ns, queue)}
                   AND {CompatibilityRouting.MatchesSql("t", "r", buildId)}
                   AND {CompatibilityRouting.CohortNotDrainingSql(ns, queue, buildId)}
                   AND (cardinality({types}::text[]) = 0 OR t.workflow_type = ANY ({types}))
                   AND r.status IN ('pending', 'running', 'waiting')
                   AND (NOT {pin} OR r.workflow_definition_fingerprint IS NULL
                        OR r.workflow_definition_fingerprint = ({fingerprints}::jsonb ->> r.workflow_type))
        """;

    /// <summary>The claim's aggregated page: one array per event, <c>recorded_at</c> as microseconds since the epoch.</summary>
    private static List<HistoryEventRecord> ReadPage(string? json)
    {
        var events = new List<HistoryEventRecord>();
        if (json is null)
        {
            return events;
        }

        using var page = JsonDocument.Parse(json);
        foreach (var e in page.RootElement.EnumerateArray())
        {
            events.Add(new HistoryEventRecord(
                e[0].GetInt64(),
                e[1].GetString()!,
                e[2].GetString()!,
                e[3].Clone(),
                e[4].GetString(),
                e[5].GetString(),
                DateTimeOffset.UnixEpoch.AddTicks(e[6].GetInt64() * TimeSpan.TicksPerMicrosecond)));
        }

        return events;
    }

    /// <summary>Extends a guarded lease by <paramref name="leaseSeconds"/> from now; returns the new expiry.</summary>
    public static async Task<DateTimeOffset> RenewAsync(EngineTransaction tx, string taskId, int leaseSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var renew = tx.Command(
            "UPDATE workflow_tasks SET lease_expires_at = now() + make_interval(secs => $2), updated_at = now() WHERE id = $1 RETURNING lease_expires_at",
            taskId, leaseSeconds);
        return DbTime.FromScalar(await renew.ExecuteScalarAsync(cancellationToken));
    }

    /// <summary>
    /// Closes a guarded task as completed and keeps its answer with the fingerprint of the commands it answered, for an
    /// identical retry. The lease owner and attempt stay on the row, so that retry can be recognised.
    /// </summary>
    public static async Task CompleteAsync(EngineTransaction tx, string taskId, JsonObject answer, byte[] requestSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(answer);
        await using var close = tx.Command(CompleteSql("$1", "$2", "$3"), taskId, answer.ToJsonString(), requestSha256);
        await close.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The statement of <see cref="CompleteAsync"/>, for a caller's CTE (<c>LeasedTaskFollowUp</c> closes the task in the
    /// statement that decides on its follow-up); the parameters are the caller's placeholders.
    /// </summary>
    internal static string CompleteSql(string taskId, string answer, string requestSha256) =>
        $"""
        UPDATE workflow_tasks
           SET status = 'completed', closed_at = now(), updated_at = now(), outcome_response = {answer}::jsonb,
               outcome_request_sha256 = {requestSha256}
         WHERE id = {taskId} AND status = 'leased'
        """;

    /// <summary>Replaces a completed task's answer (its follow-up task was created after the task closed).</summary>
    public static async Task RecordAnswerAsync(EngineTransaction tx, string taskId, JsonObject answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(answer);
        await using var record = tx.Command("UPDATE workflow_tasks SET outcome_response = $2::jsonb WHERE id = $1", taskId, answer.ToJsonString());
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A worker's <c>/fail</c>: the same row is offered again after the repair back-off (3 s doubling to 60 s); the run
    /// never fails from this.
    /// </summary>
    public static Task<ReleasedTask?> RetryAfterFailureAsync(
        EngineTransaction tx, string taskId, string message, string failureJson, CancellationToken cancellationToken) =>
        TaskRows.ReleaseLeaseAsync(tx, taskId, new LeaseRelease { RunOpen = true, BackOff = true, Error = message, FailureJson = failureJson },
            cancellationToken);

    /// <summary>
    /// Puts an expired lease back to ready (same row, so redelivery never duplicates a task), or cancels it when its run
    /// already ended. The caller holds the run lock; the predicate is re-checked so a concurrent recovery is a no-op.
    /// </summary>
    public static async Task<bool> RecoverExpiredAsync(EngineTransaction tx, RunState run, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return await TaskRows.ReleaseLeaseAsync(tx, taskId, new LeaseRelease { RunOpen = run.IsOpen, ExpiredOnly = true }, cancellationToken) is not null;
    }

    /// <summary>The ownership guard (worker-protocol spec §3.8), in its documented order.</summary>
    public static ApiError? Guard(RunState run, WorkflowTaskRow task, string owner, int attempt)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(task);
        if (task.Status != "leased" && !run.IsOpen)
        {
            return Echo(new ApiError(409, "run_closed", "The workflow run is already closed."), task, attempt)
                .With("stop_reason", run.Status is RunStatus.Cancelled or RunStatus.Terminated or RunStatus.Completed or RunStatus.Failed ? $"run_{run.Status}" : "run_closed")
                .With("cancel_requested", run.Status is RunStatus.Cancelled or RunStatus.Terminated)
                .With("can_continue", false)
                .With("run_status", run.Status)
                .With("run_closed_reason", run.ClosedReason)
                .With("run_closed_at", run.ClosedAt is { } closed ? WireTime.Micro(closed) : null)
                .With("task_status", task.Status)
                .With("lease_owner", task.LeaseOwner)
                .With("lease_expires_at", task.LeaseExpiresAt is { } e ? WireTime.Micro(e) : null);
        }

        if (task.Status != "leased" || task.LeaseOwner is null || task.LeaseExpiresAt is null)
        {
            return Echo(new ApiError(409, "task_not_leased", "Workflow task is not leased."), task, attempt);
        }

        if (task.LeaseExpired)
        {
            return Echo(new ApiError(409, "lease_expired", "Workflow task lease has expired."), task, attempt)
                .With("task_status", "leased")
                .With("lease_owner", task.LeaseOwner)
                .With("lease_expires_at", WireTime.Micro(task.LeaseExpiresAt.Value));
        }

        if (task.LeaseOwner != owner)
        {
            return Echo(new ApiError(409, "lease_owner_mismatch", "Workflow task is leased by another worker."), task, attempt)
                .With("lease_owner", task.LeaseOwner);
        }

        if (task.AttemptCount != attempt)
        {
            return Echo(new ApiError(409, "workflow_task_attempt_mismatch", "Workflow task attempt does not match the current attempt."), task, attempt)
                .With("current_attempt", task.AttemptCount);
        }

        return null;
    }

    public static ApiError TaskNotFound(string taskId, int attempt) =>
        new ApiError(404, "task_not_found", "Workflow task not found.")
            .With("task_id", taskId)
            .With("workflow_task_attempt", attempt);

    private static ApiError Echo(ApiError error, WorkflowTaskRow task, int attempt) =>
        error.With("task_id", task.Id).With("workflow_task_attempt", attempt);
}
