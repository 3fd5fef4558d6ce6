using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Failures;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Activities;

/// <summary>
/// The SQL of the activity transport (docs/schema.md §6.2–§6.3 and §7): claim, the locked view behind the ownership
/// guard, lease recovery, and the row transitions of an outcome. Status predicates are SQL literals so the partial
/// indexes apply.
/// </summary>
public static partial class ActivityStore
{
    /// <summary>Activity task and attempt lease; fixed upstream (engine <c>ActivityLease</c>, 5 minutes), renewed by heartbeats.</summary>
    public const int LeaseSeconds = 300;

    /// <summary>
    /// Leases the next matching ready task, starts its execution and inserts the new attempt, in one statement, under
    /// the run lock the claim took. Neither claimed nor refused when nothing is claimable, and then the statement wrote
    /// nothing. Tasks of runs being written elsewhere are skipped, never waited on. The statement is both the poll filter and the claim fence, with the workflow-task
    /// marker rule (rollout contract §5.3, §15 item 4): unmarked tasks go to any worker, marked ones only to that build.
    /// Activities are not fingerprint-pinned (§7.3). A refusal selects nothing, so it writes nothing. When the poll
    /// holds a <paramref name="reservation"/>, its idempotency record rides in the same statement
    /// (<see cref="PollRequestStore.RecordClaimCte"/>); refused when that record could not take the poll's key (another
    /// poll holds it): the claim is then in the transaction and the caller must roll it back, never commit.
    /// </summary>
    public static async Task<PollClaim<ClaimedActivity>> ClaimAsync(
        EngineTransaction tx, string ns, WorkerRegistration worker, string attemptId, PollReservation? reservation, bool lookWhenEmpty,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(worker);
        var record = reservation is null ? string.Empty : $", recorded AS ({PollRequestStore.RecordClaimCte("claimed", "NULL::integer", "claimed.activity_attempt_id", 8)})";
        var recorded = reservation is null ? "true" : "EXISTS (SELECT 1 FROM recorded)";
        object?[] parameters =
        [
            ns, worker.TaskQueue, SqlValue.Text(worker.MatchingBuildId), worker.SupportedActivityTypes.ToArray(), worker.WorkerId, attemptId,
            lookWhenEmpty, .. (reservation is null ? [] : PollRequestStore.RecordClaimParameters(reservation)),
        ];

        // The run lock is held, so the execution is still pending: its deadlines are re-armed for this attempt and the
        // schedule-to-start deadline is retired for good (a retry waiting in pending must not trip it). An empty claim's
        // look asks for any due task only when none it may claim is due (DueTaskSql.AnyDueOnQueue).
        await using var claim = tx.Command(
            $"""
            WITH picked AS (
                SELECT t.id, r.compatibility AS run_marker
                  FROM workflow_tasks t
                  JOIN workflow_runs r ON r.id = t.run_id
                  JOIN workflow_activity_executions e ON e.id = t.activity_execution_id
                 WHERE {ClaimableSql("$1", "$2", "$3", "$4")}
                 ORDER BY {DueTaskSql.ClaimOrder}
                 LIMIT 1
                   FOR UPDATE OF t SKIP LOCKED
                   FOR NO KEY UPDATE OF r SKIP LOCKED
            ), claimed AS (
                UPDATE workflow_tasks t
                   SET status = 'leased', lease_owner = $5, leased_at = now(),
                       lease_expires_at = now() + interval '{LeaseSeconds} seconds', attempt_count = t.attempt_count + 1,
                       activity_attempt_id = $6, compatibility = COALESCE(NULLIF(t.compatibility, ''), picked.run_marker),
                       last_claim_error = NULL, last_claim_failed_at = NULL,
                       last_dispatched_at = now(), updated_at = now()
                  FROM picked
                 WHERE t.id = picked.id
                RETURNING t.*
            ), started AS (
                UPDATE workflow_activity_executions e
                   SET status = 'running', attempt_count = e.attempt_count + 1, current_attempt_id = $6,
                       started_at = COALESCE(e.started_at, now()), schedule_deadline_at = NULL,
                       close_deadline_at = now() + make_interval(secs => e.start_to_close_timeout),
                       heartbeat_deadline_at = now() + make_interval(secs => e.heartbeat_timeout), updated_at = now()
                  FROM claimed
                 WHERE e.id = claimed.activity_execution_id
                RETURNING e.*
            ), attempt AS (
                INSERT INTO workflow_activity_attempts AS a (id, namespace, activity_execution_id, run_id, task_id, attempt_number,
                       lease_owner, lease_expires_at, close_deadline_at, heartbeat_deadline_at)
                SELECT $6, $1, started.id, claimed.run_id, claimed.id, started.attempt_count, $5, claimed.lease_expires_at,
                       started.close_deadline_at, started.heartbeat_deadline_at
                  FROM claimed JOIN started ON started.id = claimed.activity_execution_id
                RETURNING a.*
            ){record}
            SELECT {ActivityTaskRow.Columns}, {ActivityExecutionRow.Columns}, {ActivityAttemptRow.Columns}, r.workflow_instance_id, {recorded},
                   NULL::boolean, NULL::boolean
              FROM claimed t
              JOIN started e ON e.id = t.activity_execution_id
              JOIN attempt a ON a.task_id = t.id
              JOIN workflow_runs r ON r.id = t.run_id
            UNION ALL
            SELECT {SqlRows.Nulls(ActivityTaskRow.ColumnCount + ActivityExecutionRow.ColumnCount + ActivityAttemptRow.ColumnCount + 2)},
                   look.mine, look.mine OR {DueTaskSql.AnyDueOnQueue("activity", "$1", "$2")}
              FROM (SELECT (SELECT 1 FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
                              JOIN workflow_activity_executions e ON e.id = t.activity_execution_id
                             WHERE {ClaimableSql("$1", "$2", "$3", "$4")}
                             ORDER BY {DueTaskSql.ClaimOrder} LIMIT 1) IS NOT NULL AS mine) look
             WHERE $7 AND NOT EXISTS (SELECT 1 FROM claimed)
            """,
            parameters);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return default;
        }

        const int execution = ActivityTaskRow.ColumnCount;
        const int attempt = execution + ActivityExecutionRow.ColumnCount;
        const int workflowId = attempt + ActivityAttemptRow.ColumnCount;
        if (reader.IsDBNull(0))
        {
            return new PollClaim<ClaimedActivity>(null, Refused: false, new ClaimLook(reader.GetBoolean(workflowId + 2), reader.GetBoolean(workflowId + 3)));
        }

        if (!reader.GetBoolean(workflowId + 1))
        {
            return new PollClaim<ClaimedActivity>(null, Refused: true);
        }

        if (reservation is not null)
        {
            PollRequestStore.WakeRecorded(tx, reservation);
        }

        return new PollClaim<ClaimedActivity>(
            new ClaimedActivity(ActivityTaskRow.Read(reader), ActivityExecutionRow.Read(reader, execution),
                ActivityAttemptRow.Read(reader, attempt), reader.GetString(workflowId)),
            Refused: false);
    }

    /// <summary>
    /// Which ready tasks of the queue (<c>t</c>, joined to its run <c>r</c> and execution <c>e</c>) a worker may claim
    /// now: the claim's filter and fence, and what its look tests. The arguments are the statement's placeholders.
    /// </summary>
    private static string ClaimableSql(string ns, string queue, string buildId, string types) =>
        $"""
        {DueTaskSql.DueOnQueue("activity", ns, queue)}
                   AND {CompatibilityRouting.MatchesSql("t", "r", buildId)}
                   AND {CompatibilityRouting.CohortNotDrainingSql(ns, queue, buildId)}
                   AND (cardinality({types}::text[]) = 0 OR t.activity_type IS NULL OR t.activity_type = ANY ({types}))
                   AND r.status IN ('pending', 'running', 'waiting')
                   AND e.status = 'pending'
        """;

    /// <summary>
    /// Schedules a step: the pending execution with its deadlines armed from now, and the task of its first attempt.
    /// </summary>
    public static async Task<string> ScheduleAsync(
        EngineTransaction tx, RunState run, NewActivityExecution activity, string workflowTaskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(activity);
        // The execution row rides in front of its task's insert: one statement.
        var task = await TaskRows.InsertActivityTaskAfterAsync(tx,
            """
            execution AS (
                INSERT INTO workflow_activity_executions (id, namespace, run_id, sequence, activity_type, task_queue, compatibility,
                       payload_codec, arguments, retry_policy, max_attempts, start_to_close_timeout, schedule_to_start_timeout,
                       schedule_to_close_timeout, heartbeat_timeout, schedule_deadline_at, schedule_to_close_deadline_at,
                       parallel_group, workflow_task_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, $14, $15,
                        now() + make_interval(secs => $13), now() + make_interval(secs => $14), $16::jsonb, $17))
            """,
            [
                activity.ExecutionId, run.Namespace, run.Id, activity.Sequence, activity.ActivityType, activity.TaskQueue,
                SqlValue.Text(run.Compatibility), activity.PayloadCodec, SqlValue.Json(activity.Arguments), SqlValue.Json(activity.RetryPolicy),
                activity.MaxAttempts, SqlValue.Int(activity.StartToCloseTimeout), SqlValue.Int(activity.ScheduleToStartTimeout),
                SqlValue.Int(activity.ScheduleToCloseTimeout), SqlValue.Int(activity.HeartbeatTimeout), SqlValue.Json(activity.ParallelGroup),
                workflowTaskId,
            ],
            new ActivityTaskSpec(run.Namespace, run.Id, activity.TaskQueue, run.WorkflowType, run.Compatibility, run.Priority,
                activity.ActivityType, activity.ExecutionId),
            cancellationToken);
        return task.Id;
    }

    /// <summary>
    /// The ownership guard of worker-protocol §4.2, in its documented order, and the locks in the engine's order: run
    /// first, then task, execution and attempt. The guard reads only columns that never change after insert (task →
    /// run, attempt → task and owner), so an attempt that passes it is found and locked by one statement; only a
    /// refusal reads again, to name the first rule that failed.
    /// </summary>
    public static async Task<(LockedActivity? Locked, ApiError? Refused)> LockAsync(
        EngineTransaction tx, string ns, string taskId, string attemptId, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);

        // Row locks are taken in the order the locking clauses name the tables, so the run is locked before the rows
        // every writer touches only under it (no deadlock); a row changed meanwhile is re-read at its latest version.
        const int task = RunState.ColumnCount;
        const int execution = task + ActivityTaskRow.ColumnCount;
        const int attempt = execution + ActivityExecutionRow.ColumnCount;
        await using (var read = tx.Command(
            $"""
            SELECT {RunState.ColumnsOf("r")}, {ActivityTaskRow.Columns}, {ActivityExecutionRow.Columns}, {ActivityAttemptRow.Columns}
              FROM workflow_tasks t
              JOIN workflow_runs r ON r.id = t.run_id
              JOIN workflow_activity_executions e ON e.id = t.activity_execution_id
              JOIN workflow_activity_attempts a ON a.id = $3 AND a.namespace = $2 AND a.task_id = t.id AND a.lease_owner = $4
             WHERE t.id = $1 AND t.namespace = $2 AND t.task_type = 'activity'
               FOR NO KEY UPDATE OF r
               FOR UPDATE OF t, e, a
            """,
            taskId, ns, attemptId, owner))
        {
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return (new LockedActivity(RunState.Read(reader), ActivityTaskRow.Read(reader, task),
                    ActivityExecutionRow.Read(reader, execution), ActivityAttemptRow.Read(reader, attempt)), null);
            }
        }

        return (null, await RefusalAsync(tx, ns, taskId, attemptId, owner, cancellationToken));
    }

    /// <summary>The error body every refused activity operation carries.</summary>
    public static ApiError Refusal(int status, string reason, string message, string taskId, string attemptId) =>
        new ApiError(status, reason, message).With("task_id", taskId).With("activity_attempt_id", attemptId);

    /// <summary>Extends an activity task's lease by <see cref="LeaseSeconds"/> from now; returns the new expiry.</summary>
    public static async Task<DateTimeOffset> RenewAsync(EngineTransaction tx, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var renew = tx.Command(
            $"UPDATE workflow_tasks SET lease_expires_at = now() + interval '{LeaseSeconds} seconds', updated_at = now() WHERE id = $1 RETURNING lease_expires_at",
            taskId);
        return await ReadTimeAsync(renew, cancellationToken);
    }

    /// <summary>Cancels a timed-out attempt's task; the worker still holding it learns so from its next heartbeat.</summary>
    public static async Task CancelTaskAsync(EngineTransaction tx, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var cancel = tx.Command(
            "UPDATE workflow_tasks SET status = 'cancelled', lease_expires_at = NULL, closed_at = now(), updated_at = now() WHERE id = $1",
            taskId);
        await cancel.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Closes the attempt, its task and (unless a retry reopens it) the execution with one outcome status, in one statement.</summary>
    public static async Task CloseAsync(
        EngineTransaction tx, LockedActivity locked, string status, ActivityOutcomeRows rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(locked);
        ArgumentNullException.ThrowIfNull(rows);
        var (ctes, attempt, parameters) = CloseStatement(locked, status, rows);
        await using var close = tx.Command($"WITH {ctes}\n{attempt}", parameters);
        await close.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A final outcome that wakes the workflow: <see cref="CloseAsync"/> and <see cref="ResumeWorkflowAsync"/> in one
    /// statement. Not for a member of a parallel group (<see cref="IsGroupMember"/>), whose wake-up depends on the
    /// closure being visible first. Returns the new workflow task id, or null when the run already had an open one.
    /// </summary>
    public static Task<string?> CloseAndResumeAsync(
        EngineTransaction tx, LockedActivity locked, string status, ActivityOutcomeRows rows, string eventType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locked);
        var (ctes, attempt, parameters) = CloseStatement(locked, status, rows);
        return TaskRows.InsertWorkflowTaskAfterAsync(tx, $"{ctes}, attempt AS ({attempt})", parameters,
            ResumeSpec(locked.Run, locked.Execution, locked.Attempt.Id, eventType), cancellationToken);
    }

    /// <summary>The close statement's task and execution CTEs, its attempt update, and their parameters.</summary>
    private static (string Ctes, string Attempt, object?[] Parameters) CloseStatement(LockedActivity locked, string status, ActivityOutcomeRows rows)
    {
        ArgumentNullException.ThrowIfNull(locked);
        ArgumentNullException.ThrowIfNull(rows);
        var execution = rows.Retrying
            ? """
              UPDATE workflow_activity_executions
                 SET status = 'pending', current_attempt_id = NULL, close_deadline_at = NULL, heartbeat_deadline_at = NULL,
                     last_heartbeat_at = NULL, updated_at = now()
               WHERE id = $3
              """
            : """
              UPDATE workflow_activity_executions
                 SET status = $2, result = $6::jsonb, failure_id = $7, closed_at = now(), updated_at = now()
               WHERE id = $3
              """;
        return (
            $"""
            task AS (
                UPDATE workflow_tasks
                   SET status = $2, closed_at = now(), failure = $4::jsonb, last_error = $5,
                       last_failed_at = CASE WHEN $4::jsonb IS NULL THEN last_failed_at ELSE now() END, updated_at = now()
                 WHERE id = $1
            ), execution AS ({execution})
            """,
            """
            UPDATE workflow_activity_attempts
               SET status = $2, failure = $4::jsonb, failure_category = $8, lease_expires_at = NULL, closed_at = now()
             WHERE id = $9
            """,
            [
                locked.Task.Id, status, locked.Execution.Id, SqlValue.Json(rows.Failure), SqlValue.Text((string?)rows.Failure?["message"]),
                SqlValue.Json(rows.Result), SqlValue.Text(rows.FailureId), SqlValue.Text(rows.Failure is null ? null : ActivityFailure.Category),
                locked.Attempt.Id,
            ]);
    }

    /// <summary>
    /// The next attempt's transport: a NEW ready task (the wire's <c>retry_task_id</c>), offered after the back-off. The
    /// old task must already be closed, or the one-open-task-per-execution index refuses the insert.
    /// </summary>
    public static async Task<(string TaskId, DateTimeOffset AvailableAt)> InsertRetryTaskAsync(
        EngineTransaction tx, string ns, ActivityTaskRow task, ActivityExecutionRow execution, int backoffSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(execution);
        var retry = await TaskRows.InsertActivityTaskAsync(tx, new ActivityTaskSpec(ns, task.RunId, task.TaskQueue, task.WorkflowType,
            task.Compatibility, task.Priority, execution.ActivityType, execution.Id, task.Id, backoffSeconds), cancellationToken);
        return (retry.Id, retry.AvailableAt);
    }

    /// <summary>The <c>workflow_failures</c> record of a step that closed unsuccessfully; returns its id.</summary>
    public static async Task<string> InsertFailureAsync(
        EngineTransaction tx, RunState run, ActivityExecutionRow execution, ActivityFailureRow failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(failure);
        return await FailureStore.InsertAsync(tx, new NewFailure
        {
            Namespace = run.Namespace,
            RunId = run.Id,
            SourceKind = "activity_execution",
            SourceId = execution.Id,
            PropagationKind = failure.PropagationKind,
            Category = failure.Category,
            ExceptionType = failure.ExceptionType,
            ExceptionClass = failure.ExceptionClass,
            Message = failure.Message,
            Exception = failure.Exception,
            NonRetryable = failure.NonRetryable,
        }, cancellationToken);
    }

    /// <summary>
    /// The workflow's next task, or null when the run already has an open one: a ready task reads this event when it is
    /// claimed; a leased task's cutoff predates it, so its completion must schedule the follow-up.
    /// </summary>
    public static Task<string?> ResumeWorkflowAsync(
        EngineTransaction tx, RunState run, ActivityExecutionRow execution, string? attemptId, string eventType, CancellationToken cancellationToken) =>
        TaskRows.InsertWorkflowTaskAsync(tx, ResumeSpec(run, execution, attemptId, eventType), cancellationToken);

    /// <summary>
    /// Whether the execution belongs to a parallel group, so <see cref="GroupSettledAsync"/> has to read its siblings
    /// after the closure; any other closure wakes the workflow.
    /// </summary>
    public static bool IsGroupMember(ActivityExecutionRow execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return CommandValidator.ReadInt(execution.ParallelGroup?["parallel_group_base_sequence"]) is not null
            && CommandValidator.ReadInt(execution.ParallelGroup?["parallel_group_size"]) is not null;
    }

    private static WorkflowTaskSpec ResumeSpec(RunState run, ActivityExecutionRow execution, string? attemptId, string eventType)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(execution);
        return new WorkflowTaskSpec(run.Namespace, run.Id, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, ResumeContext.Of(
                ("workflow_wait_kind", "activity"),
                ("open_wait_id", $"activity:{execution.Id}"),
                ("resume_source_kind", "activity_execution"),
                ("resume_source_id", execution.Id),
                ("activity_execution_id", execution.Id),
                ("activity_attempt_id", attemptId),
                ("activity_type", execution.ActivityType),
                ("workflow_sequence", execution.Sequence),
                ("workflow_event_type", eventType)));
    }

    /// <summary>
    /// Whether an activity closure should wake the workflow: a parallel group is woken once none of its activities is
    /// still open (engine <c>ParallelChildGroup::shouldWakeParentOnActivityClosure</c>), so the workflow is not replayed
    /// once per member. Non-activity members wake the run on their own outcome and are not waited for here.
    /// </summary>
    public static async Task<bool> GroupSettledAsync(EngineTransaction tx, ActivityExecutionRow execution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(execution);
        if (CommandValidator.ReadInt(execution.ParallelGroup?["parallel_group_base_sequence"]) is not { } first
            || CommandValidator.ReadInt(execution.ParallelGroup?["parallel_group_size"]) is not { } size)
        {
            return true;
        }

        await using var open = tx.Command(
            """
            SELECT NOT EXISTS (SELECT 1 FROM workflow_activity_executions
                                WHERE run_id = $1 AND sequence >= $2 AND sequence < $2 + $3 AND status IN ('pending', 'running'))
            """,
            execution.RunId, first, size);
        return (bool)(await open.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Puts an expired activity lease back to ready (same row, so redelivery never duplicates a task) and closes the lost
    /// attempt as expired; the next claim starts attempt n + 1. The caller holds the run lock; the predicate is re-checked
    /// so a concurrent recovery is a no-op. Expiry does not consult <c>max_attempts</c> (docs/schema.md §15 item 6).
    /// </summary>
    public static async Task<bool> RecoverExpiredAsync(EngineTransaction tx, RunState run, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        if (await TaskRows.ReleaseLeaseAsync(tx, taskId, new LeaseRelease { RunOpen = run.IsOpen, ExpiredOnly = true }, cancellationToken)
            is not { ActivityExecutionId: { } executionId } released)
        {
            return false;
        }

        await ExecuteAsync(tx, cancellationToken,
            ("""
             UPDATE workflow_activity_executions
                SET status = 'pending', current_attempt_id = NULL, close_deadline_at = NULL, heartbeat_deadline_at = NULL,
                    updated_at = now()
              WHERE id = $1 AND status = 'running'
             """, [executionId]),
            ("""
             UPDATE workflow_activity_attempts SET status = 'expired', lease_expires_at = NULL, closed_at = now()
              WHERE id = $1 AND status = 'running'
             """, [SqlValue.Text(released.ActivityAttemptId)]));
        return true;
    }

    /// <summary>
    /// Cancels the open executions of a closing run and their running attempts (the tasks are cancelled with the run's
    /// other open tasks); returns the cancelled executions for the history.
    /// </summary>
    public static async Task<IReadOnlyList<CancelledActivity>> CancelOpenOfRunAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using (var attempts = tx.Command(
            "UPDATE workflow_activity_attempts SET status = 'cancelled', closed_at = now() WHERE run_id = $1 AND status = 'running'", runId))
        {
            await attempts.ExecuteNonQueryAsync(cancellationToken);
        }

        var cancelled = new List<CancelledActivity>();
        await using var executions = tx.Command(
            """
            UPDATE workflow_activity_executions SET status = 'cancelled', closed_at = now(), updated_at = now()
             WHERE run_id = $1 AND status IN ('pending', 'running')
            RETURNING id, sequence, activity_type, current_attempt_id, attempt_count, closed_at
            """,
            runId);
        await using var reader = await executions.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            cancelled.Add(new CancelledActivity(reader.GetString(0), reader.GetInt32(1), reader.GetString(2),
                reader.StringOrNull(3), reader.GetInt32(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return cancelled;
    }

    /// <summary>Why <see cref="LockAsync"/> found nothing, by the guard's first failing rule; the caller rolls back.</summary>
    private static async Task<ApiError> RefusalAsync(
        EngineTransaction tx, string ns, string taskId, string attemptId, string owner, CancellationToken cancellationToken)
    {
        await using var find = tx.Command(
            """
            SELECT a.id IS NOT NULL, a.task_id, a.lease_owner
              FROM workflow_tasks t
              JOIN workflow_runs r ON r.id = t.run_id
              LEFT JOIN workflow_activity_attempts a ON a.id = $3 AND a.namespace = $2
             WHERE t.id = $1 AND t.namespace = $2 AND t.task_type = 'activity'
               FOR NO KEY UPDATE OF r
            """,
            taskId, ns, attemptId);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return Refusal(404, "task_not_found", "Activity task not found.", taskId, attemptId);
        }

        if (!reader.GetBoolean(0))
        {
            return Refusal(404, "attempt_not_found", "Activity attempt not found.", taskId, attemptId);
        }

        if (reader.GetString(1) != taskId)
        {
            return Refusal(409, "task_mismatch", "Activity attempt is not leased for this task.", taskId, attemptId);
        }

        var actual = reader.GetString(2);
        return actual != owner
            ? Refusal(409, "lease_owner_mismatch", "Activity attempt lease is owned by another worker.", taskId, attemptId).With("lease_owner", actual)
            : throw new InvalidOperationException($"Activity task {taskId} passed the ownership guard but its rows were not found.");
    }

    /// <summary>The single timestamptz a <c>RETURNING</c> yields; a scalar read would hand back a <see cref="DateTime"/>.</summary>
    internal static async Task<DateTimeOffset> ReadTimeAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    private static async Task ExecuteAsync(EngineTransaction tx, CancellationToken cancellationToken, params (string Sql, object?[] Parameters)[] statements)
    {
        foreach (var (sql, parameters) in statements)
        {
            await using var command = tx.Command(sql, parameters);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>A step a workflow task schedules (worker-protocol §3.5 <c>schedule_activity</c>).</summary>
public sealed record NewActivityExecution
{
    public required string ExecutionId { get; init; }

    public required int Sequence { get; init; }

    public required string ActivityType { get; init; }

    public required string TaskQueue { get; init; }

    public required string PayloadCodec { get; init; }

    public JsonObject? Arguments { get; init; }

    public JsonObject? RetryPolicy { get; init; }

    public required int MaxAttempts { get; init; }

    public int? StartToCloseTimeout { get; init; }

    public int? ScheduleToStartTimeout { get; init; }

    public int? ScheduleToCloseTimeout { get; init; }

    public int? HeartbeatTimeout { get; init; }

    public JsonObject? ParallelGroup { get; init; }
}

/// <summary>An execution cancelled because its run closed.</summary>
public sealed record CancelledActivity(string ExecutionId, int Sequence, string ActivityType, string? AttemptId, int AttemptCount, DateTimeOffset CancelledAt);

/// <summary>The columns of an activity's <c>workflow_failures</c> row.</summary>
public sealed record ActivityFailureRow(
    string PropagationKind, string Category, string? ExceptionType, string ExceptionClass, string Message, JsonObject? Exception, bool NonRetryable);

/// <summary>What an outcome writes onto the rows it closes.</summary>
public sealed record ActivityOutcomeRows
{
    /// <summary>The result envelope of a completion.</summary>
    public JsonObject? Result { get; init; }

    /// <summary>The worker's failure object of a failed attempt.</summary>
    public JsonObject? Failure { get; init; }

    public string? FailureId { get; init; }

    /// <summary>A retry follows: the execution goes back to pending instead of closing.</summary>
    public bool Retrying { get; init; }
}
