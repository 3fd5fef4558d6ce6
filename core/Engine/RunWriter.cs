using System.Text.Json.Nodes;
using DurableWorkflow.Core.SearchAttributes;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>Everything needed to create one run: a fresh start, a child, or a continue-as-new successor.</summary>
public sealed record NewRun
{
    public required string Namespace { get; init; }

    public required string InstanceId { get; init; }

    public string RunId { get; init; } = Ulid.NewId();

    public int RunNumber { get; init; } = 1;

    public required string WorkflowType { get; init; }

    public string? BusinessKey { get; init; }

    public required string TaskQueue { get; init; }

    public string? Compatibility { get; init; }

    /// <summary>Recorded at start when known (rollout contract §7.1); otherwise the first workflow-task claim records it.</summary>
    public string? WorkflowDefinitionFingerprint { get; init; }

    public int Priority { get; init; } = 5;

    public string PayloadCodec { get; init; } = "avro";

    /// <summary>The start input as the wire envelope, or null for no arguments.</summary>
    public JsonObject? Arguments { get; init; }

    public JsonObject Memo { get; init; } = [];

    public JsonObject SearchAttributes { get; init; } = [];

    public int? ExecutionTimeoutSeconds { get; init; }

    public int? RunTimeoutSeconds { get; init; }

    /// <summary>Inherited by continue-as-new runs; a fresh chain computes it from the execution timeout.</summary>
    public DateTimeOffset? ExecutionDeadlineAt { get; init; }

    public string? ParentInstanceId { get; init; }

    public string? ParentRunId { get; init; }

    public int? ParentSequence { get; init; }

    public string? ContinuedFromRunId { get; init; }

    /// <summary>Zero for a first run; a child retry run counts the failed runs before it.</summary>
    public int RetryAttempt { get; init; }

    public string? RetryOfRunId { get; init; }

    /// <summary>How long the first workflow task waits before it can be claimed (a child retry's back-off).</summary>
    public int FirstTaskDelaySeconds { get; init; }

    public string? CommandId { get; init; }

    /// <summary>Extra <c>WorkflowStarted</c> keys (parent links, continue-as-new links).</summary>
    public JsonObject StartedExtras { get; init; } = [];

    /// <summary>Whether a <c>StartAccepted</c> event precedes <c>WorkflowStarted</c> (not for continue-as-new).</summary>
    public bool RecordStartAccepted { get; init; } = true;
}

/// <summary>
/// The writer of <c>workflow_runs</c> and <c>workflow_instances</c> in the caller's transaction: a run with its opening
/// history and first workflow task, the instance row, and every state change of an open run (closing is
/// <see cref="RunCloser"/>'s).
/// </summary>
public static class RunWriter
{
    /// <summary>Deadlines further out than the timer pump's longest sleep (plus a margin) are found by its own scan.</summary>
    private static readonly int PumpWakeHorizonSeconds = (int)LongPoll.SignalledReprobeInterval.TotalSeconds + 5;

    public static async Task<CreatedRun> InsertAsync(EngineTransaction tx, NewRun run, CancellationToken cancellationToken) =>
        (await InsertAsync<object?>(tx, null, run, null, cancellationToken)).Run!;

    /// <summary>
    /// A fresh start: claims the new workflow id (<paramref name="instance"/>, pointing at <paramref name="run"/>) and
    /// inserts its first run in one statement, which also resolves the start's <paramref name="route"/> (the run's
    /// marker and fingerprint), then the opening history and first task. The run is null when the id is already taken
    /// or the route refused the start; then nothing was written.
    /// </summary>
    public static async Task<RoutedStart<TRoute>> StartAsync<TRoute>(
        EngineTransaction tx, NewInstance instance, NewRun run, ClaimRoute<TRoute> route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(route);
        return await InsertAsync(tx, instance, run, route, cancellationToken);
    }

    private static async Task<RoutedStart<TRoute>> InsertAsync<TRoute>(
        EngineTransaction tx, NewInstance? instance, NewRun run, ClaimRoute<TRoute>? route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        var taskId = Ulid.NewId();
        DateTimeOffset? executionDeadline;
        DateTimeOffset? runDeadline;
        object?[] parameters =
        [
            run.RunId, run.Namespace, run.InstanceId, run.RunNumber, run.WorkflowType, SqlValue.Text(run.BusinessKey), run.TaskQueue,
            SqlValue.Text(run.Compatibility), (short)run.Priority, run.PayloadCodec, SqlValue.Json(run.Arguments), run.Memo.ToJsonString(),
            run.SearchAttributes.ToJsonString(), SqlValue.Int(run.ExecutionTimeoutSeconds), SqlValue.Int(run.RunTimeoutSeconds),
            SqlValue.Time(run.ExecutionDeadlineAt), SqlValue.Text(run.ParentInstanceId), SqlValue.Text(run.ParentRunId),
            SqlValue.Int(run.ParentSequence), SqlValue.Text(run.ContinuedFromRunId), taskId,
            run.RetryAttempt, SqlValue.Text(run.RetryOfRunId), run.FirstTaskDelaySeconds, SqlValue.Text(run.WorkflowDefinitionFingerprint),
        ];

        // The instance claim is a CTE the run insert selects from, so a taken id inserts neither row (and the run's
        // foreign key sees the instance inserted by the same statement). A route in front of the claim stamps the run
        // and, when it refuses, leaves the claim nothing to insert.
        var ctes = new List<string>();
        if (instance is not null)
        {
            parameters = [.. parameters, instance.WorkflowType, SqlValue.Text(instance.BusinessKey), instance.LastCommandSequence,
                SqlValue.Int(instance.ExecutionTimeoutSeconds), instance.RecordExecutionDeadline];
            if (route is not null)
            {
                ctes.Add(route.Ctes(parameters.Length + 1));
                parameters = [.. parameters, .. route.Parameters];
            }

            ctes.Add($"""
                claimed AS (
                    INSERT INTO workflow_instances (id, namespace, workflow_type, business_key, current_run_id, run_count,
                                                    last_command_sequence, execution_timeout_seconds, execution_deadline_at)
                    SELECT $3, $2, $26, $27, $1, 1, $28, $29, CASE WHEN $30 THEN now() + make_interval(secs => $29) END
                           {(route is null ? string.Empty : "FROM route WHERE NOT route.refused")}
                    ON CONFLICT (id) DO NOTHING
                    RETURNING id)
                """);
            if (instance.OnClaim is { } write)
            {
                ctes.Add(write.Cte(parameters.Length + 1));
                parameters = [.. parameters, .. write.Parameters];
            }
        }

        var insertRun =
            $"""
            INSERT INTO workflow_runs (id, namespace, workflow_instance_id, run_number, workflow_type, business_key, task_queue,
                   compatibility, priority, payload_codec, arguments, memo, search_attributes, execution_timeout_seconds,
                   run_timeout_seconds, execution_deadline_at, run_deadline_at, parent_workflow_instance_id,
                   parent_workflow_run_id, parent_sequence, continued_from_run_id, retry_attempt, retry_of_run_id, started_at,
                   liveness_state, next_task_id, next_task_type, next_task_status, next_task_at, last_progress_at,
                   workflow_definition_fingerprint)
            SELECT $1, $2, $3, $4, $5, $6, $7, {(route is null ? "$8" : "route.marker")}, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14, $15,
                   COALESCE($16, now() + make_interval(secs => $14)), now() + make_interval(secs => $15),
                   $17, $18, $19, $20, $22, $23, now(), 'workflow_task_ready', $21, 'workflow', 'ready',
                   now() + make_interval(secs => $24), now(), {(route is null ? "$25" : "route.fingerprint")}
                   {(instance is null ? string.Empty : route is null ? "FROM claimed" : "FROM claimed, route")}
            RETURNING id, execution_deadline_at, run_deadline_at, compatibility, workflow_definition_fingerprint
            """;
        var sql = route is null
            ? $"{(ctes.Count == 0 ? string.Empty : $"WITH {string.Join(",\n", ctes)}\n")}{insertRun}"
            : $"""
              WITH {string.Join(",\n", ctes)},
              run AS (
              {insertRun})
              SELECT run.id, run.execution_deadline_at, run.run_deadline_at, run.compatibility, run.workflow_definition_fingerprint, {route.Columns}
                FROM route LEFT JOIN run ON true
              """;
        var routed = default(TRoute);
        await using (var insert = tx.Command(sql, parameters))
        {
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new RoutedStart<TRoute>(null, routed);
            }

            if (route is not null)
            {
                routed = route.Read(reader, 5);
                if (reader.IsDBNull(0))
                {
                    return new RoutedStart<TRoute>(null, routed);
                }
            }

            executionDeadline = reader.TimeOrNull(1);
            runDeadline = reader.TimeOrNull(2);
            run = run with { Compatibility = reader.StringOrNull(3), WorkflowDefinitionFingerprint = reader.StringOrNull(4) };
        }

        if (run.ExecutionDeadlineAt is not null || run.ExecutionTimeoutSeconds <= PumpWakeHorizonSeconds || run.RunTimeoutSeconds <= PumpWakeHorizonSeconds)
        {
            // The timer pump sleeps until its next known due time, at most its longest sleep: only a deadline that may
            // come sooner wakes it (on every node), so a start with the usual long timeouts costs no pump scan.
            tx.Wake(WakeChannels.Timers);
        }

        await SearchAttributeStore.IndexRunAsync(tx, run.Namespace, run.RunId, run.SearchAttributes, replace: false, cancellationToken);
        var events = new List<NewHistoryEvent>();
        if (run.RecordStartAccepted)
        {
            events.Add(new NewHistoryEvent("StartAccepted", new JsonObject
            {
                ["workflow_command_id"] = run.CommandId,
                ["workflow_instance_id"] = run.InstanceId,
                ["workflow_run_id"] = run.RunId,
                ["workflow_type"] = run.WorkflowType,
                ["business_key"] = run.BusinessKey,
                ["memo"] = run.Memo.DeepClone(),
                ["search_attributes"] = run.SearchAttributes.DeepClone(),
                ["outcome"] = "started_new",
            }));
        }

        var started = new JsonObject
        {
            ["workflow_type"] = run.WorkflowType,
            ["workflow_instance_id"] = run.InstanceId,
            ["workflow_run_id"] = run.RunId,
            ["workflow_command_id"] = run.CommandId,
            ["task_queue"] = run.TaskQueue,
            ["business_key"] = run.BusinessKey,
            ["memo"] = run.Memo.DeepClone(),
            ["search_attributes"] = run.SearchAttributes.DeepClone(),
            ["execution_timeout_seconds"] = run.ExecutionTimeoutSeconds,
            ["run_timeout_seconds"] = run.RunTimeoutSeconds,
            ["execution_deadline_at"] = executionDeadline is { } e ? Http.WireTime.Micro(e) : null,
            ["run_deadline_at"] = runDeadline is { } r ? Http.WireTime.Micro(r) : null,
        };
        if (run.WorkflowDefinitionFingerprint is { } fingerprint)
        {
            started["workflow_definition_fingerprint"] = fingerprint;
        }

        foreach (var (key, value) in run.StartedExtras)
        {
            started[key] = value?.DeepClone();
        }

        events.Add(new NewHistoryEvent("WorkflowStarted", started));
        // The opening history rides in front of the first task's insert: one statement.
        var (history, historyParameters) = HistoryStore.AppendToNewRun(tx, run.RunId, events, null, run.CommandId);
        await TaskRows.InsertWorkflowTaskAfterAsync(tx, history, historyParameters, new WorkflowTaskSpec(run.Namespace, run.RunId, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, ResumeContext.None, taskId, run.FirstTaskDelaySeconds), cancellationToken);
        return new RoutedStart<TRoute>(new CreatedRun(run.RunId, taskId, executionDeadline, runDeadline), routed);
    }

    /// <summary>
    /// Inserts the instance row of a new workflow id, pointing at its first run; false when the id is already taken
    /// (the insert is the claim on it).
    /// </summary>
    public static async Task<bool> ClaimInstanceAsync(EngineTransaction tx, NewInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(instance);
        await using var claim = tx.Command(
            """
            INSERT INTO workflow_instances (id, namespace, workflow_type, business_key, current_run_id, run_count,
                                            last_command_sequence, execution_timeout_seconds, execution_deadline_at)
            VALUES ($1, $2, $3, $4, $5, 1, $6, $7, CASE WHEN $8 THEN now() + make_interval(secs => $7) END)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """,
            instance.Id, instance.Namespace, instance.WorkflowType, SqlValue.Text(instance.BusinessKey), instance.CurrentRunId,
            instance.LastCommandSequence, SqlValue.Int(instance.ExecutionTimeoutSeconds), instance.RecordExecutionDeadline);
        return await claim.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Makes a successor run (continue-as-new, child retry) the instance's current run.</summary>
    public static async Task MoveInstanceToRunAsync(EngineTransaction tx, string instanceId, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var move = tx.Command(
            "UPDATE workflow_instances SET current_run_id = $2, run_count = run_count + 1, updated_at = now() WHERE id = $1", instanceId, runId);
        await move.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Numbers the instance's next command; the caller holds the instance lock, so numbers are gap-free.</summary>
    public static async Task<long> NextCommandSequenceAsync(EngineTransaction tx, string instanceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var next = tx.Command(
            "UPDATE workflow_instances SET last_command_sequence = last_command_sequence + 1, updated_at = now() WHERE id = $1 RETURNING last_command_sequence",
            instanceId);
        return (long)(await next.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The statement that reserves history sequences on the locked run and returns the last one, for
    /// <see cref="HistoryStore"/> to use as a CTE in front of its insert so the counter and the rows are one statement.
    /// Only <see cref="HistoryStore"/> appends history; the parameters are the caller's placeholders.
    /// </summary>
    internal static string AdvanceHistorySql(string runId, string count, string bytes) =>
        $"""
        UPDATE workflow_runs
           SET last_history_sequence = last_history_sequence + {count},
               history_size_bytes = history_size_bytes + {bytes},
               last_progress_at = now(), updated_at = now()
         WHERE id = {runId}
        RETURNING last_history_sequence
        """;

    /// <summary>The run has a ready workflow task.</summary>
    public static async Task MarkTaskReadyAsync(EngineTransaction tx, string runId, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var liveness = tx.Command(
            """
            UPDATE workflow_runs
               SET liveness_state = 'workflow_task_ready', liveness_reason = NULL, next_task_id = $2,
                   next_task_type = 'workflow', next_task_status = 'ready', next_task_at = now(), updated_at = now()
             WHERE id = $1
            """,
            runId, taskId);
        await liveness.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Marks open runs <c>repair_needed</c> (rollout contract §8.1); a compatibility-blocked state takes precedence and
    /// stays. <c>updated_at</c> moves only on the transition, so the age metric measures how long a run has been stuck.
    /// </summary>
    public static async Task<int> MarkRepairNeededAsync(EngineTransaction tx, IReadOnlyCollection<string> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(runIds);
        await using var mark = tx.Command(
            """
            UPDATE workflow_runs
               SET liveness_state = 'repair_needed',
                   liveness_reason = 'No healthy durable next step: an expired lease or a missing task.', updated_at = now()
             WHERE id = ANY ($1) AND status IN ('pending', 'running', 'waiting')
               AND liveness_state IS DISTINCT FROM 'repair_needed'
               AND COALESCE(liveness_state, '') NOT LIKE '%\_waiting\_for\_compatible\_worker'
            """,
            (object)runIds.ToArray());
        return await mark.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Sets an open run's liveness from its open tasks (the workflow task first, then an activity or timer task, else
    /// waiting); with <paramref name="onlyIfRepairNeeded"/> only a run currently marked <c>repair_needed</c> changes.
    /// </summary>
    public static async Task ReprojectLivenessAsync(EngineTransaction tx, string runId, bool onlyIfRepairNeeded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var update = tx.Command(
            """
            UPDATE workflow_runs r
               SET liveness_state = COALESCE(
                       CASE n.task_type WHEN 'timer' THEN 'timer_scheduled' ELSE n.task_type || '_task_' || n.status END, 'waiting'),
                   liveness_reason = NULL, next_task_id = n.id, next_task_type = n.task_type, next_task_status = n.status,
                   next_task_at = n.available_at, updated_at = now()
              FROM (SELECT 1) AS one
              LEFT JOIN LATERAL (
                  SELECT t.id, t.task_type, t.status, t.available_at FROM workflow_tasks t
                   WHERE t.run_id = $1 AND t.status IN ('ready', 'leased')
                   ORDER BY t.task_type = 'workflow' DESC, t.task_type = 'activity' DESC, t.available_at
                   LIMIT 1) n ON true
             WHERE r.id = $1 AND r.status IN ('pending', 'running', 'waiting') AND (NOT $2 OR r.liveness_state = 'repair_needed')
            """,
            runId, onlyIfRepairNeeded);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>History retention pruned the closed run's rows; the run row stays so describe keeps answering.</summary>
    public static async Task MarkPrunedAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var mark = tx.Command("UPDATE workflow_runs SET pruned_at = now(), updated_at = now() WHERE id = $1 AND closed_at IS NOT NULL", runId);
        await mark.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A worker leased the run's workflow task: a pending or waiting run is now running. A run still pending has never
    /// been claimed, so the claimer's advertised fingerprint for its type (<paramref name="claimerFingerprints"/>, a JSON
    /// map) becomes the run's when none was recorded at start (rollout contract §7.1). The statement is a CTE body over
    /// the claim's <paramref name="picked"/> row (columns <c>id</c>, <c>run_id</c>), so the claim and this update are
    /// one statement; it returns the run fields the task payload carries.
    /// </summary>
    internal static string MarkTaskLeasedSql(string picked, string claimerFingerprints) =>
        $"""
        UPDATE workflow_runs r
           SET status = CASE WHEN r.status IN ('pending', 'waiting') THEN 'running' ELSE r.status END,
               workflow_definition_fingerprint = CASE
                   WHEN r.status = 'pending' AND r.workflow_definition_fingerprint IS NULL
                   THEN NULLIF(btrim({claimerFingerprints}::jsonb ->> r.workflow_type), '')
                   ELSE r.workflow_definition_fingerprint END,
               liveness_state = 'workflow_task_leased', next_task_id = {picked}.id, next_task_type = 'workflow',
               next_task_status = 'leased', updated_at = now()
          FROM {picked}
         WHERE r.id = {picked}.run_id
        RETURNING r.workflow_instance_id, r.workflow_type, r.payload_codec, r.arguments::text AS arguments, r.status
        """;

    /// <summary>A workflow task completed without closing the run: it waits for <paramref name="waitKind"/>.</summary>
    public static async Task MarkWaitingAsync(EngineTransaction tx, string runId, int lastStepSequence, string waitKind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var waiting = tx.Command(MarkWaitingSql("$1", "$2", "$3"), runId, lastStepSequence, SqlValue.Text(waitKind));
        await waiting.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The statement of <see cref="MarkWaitingAsync"/>, for a caller's CTE (<c>LeasedTaskFollowUp</c> marks the run
    /// waiting in the statement that closes the completed task); the parameters are the caller's placeholders.
    /// </summary>
    internal static string MarkWaitingSql(string runId, string lastStepSequence, string waitKind) =>
        $"""
        UPDATE workflow_runs
           SET status = 'waiting', last_step_sequence = {lastStepSequence}, wait_kind = {waitKind}, wait_started_at = now(),
               liveness_state = 'waiting', next_task_id = NULL, next_task_type = NULL, next_task_status = NULL,
               next_task_at = NULL, updated_at = now()
         WHERE id = {runId}
        """;

    /// <summary>Replaces the run's attributes and, in the same transaction, their filterable projection.</summary>
    public static async Task SetSearchAttributesAsync(EngineTransaction tx, string ns, string runId, JsonObject attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(attributes);
        await using (var update = tx.Command("UPDATE workflow_runs SET search_attributes = $2::jsonb WHERE id = $1", runId, attributes.ToJsonString()))
        {
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await SearchAttributeStore.IndexRunAsync(tx, ns, runId, attributes, replace: true, cancellationToken);
    }

    /// <summary>Links a run closed by continue-as-new to its successor.</summary>
    public static async Task SetContinuedToAsync(EngineTransaction tx, string runId, string successorRunId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var chain = tx.Command("UPDATE workflow_runs SET continued_to_run_id = $2 WHERE id = $1", runId, successorRunId);
        await chain.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task MarkCancelRequestedAsync(EngineTransaction tx, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var requested = tx.Command("UPDATE workflow_runs SET cancel_requested_at = now() WHERE id = $1", runId);
        await requested.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task ArchiveAsync(EngineTransaction tx, string runId, string commandId, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var archive = tx.Command(
            """
            UPDATE workflow_runs
               SET archived_at = now(), archive_command_id = $2, archive_reason = $3, last_progress_at = now(), updated_at = now()
             WHERE id = $1
            """,
            runId, commandId, SqlValue.Text(reason));
        await archive.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// The instance row of a new workflow id. With <paramref name="RecordExecutionDeadline"/> (a start) the instance keeps
/// the chain's execution deadline: the transaction's <c>now()</c> plus the timeout, the same value the first run's
/// insert computes in that transaction.
/// </summary>
public sealed record NewInstance(
    string Id,
    string Namespace,
    string WorkflowType,
    string? BusinessKey,
    string CurrentRunId,
    int? ExecutionTimeoutSeconds,
    long LastCommandSequence,
    bool RecordExecutionDeadline = false,
    ClaimWrite? OnClaim = null);

/// <summary>
/// Another owner's row written by the statement of <see cref="RunWriter.StartAsync"/> that claims a new workflow id,
/// exactly when the claim succeeds: a CTE (<c>name AS (INSERT ... SELECT ... FROM claimed)</c>) built from the number of
/// its first parameter.
/// </summary>
public sealed record ClaimWrite(Func<int, string> Cte, IReadOnlyList<object?> Parameters);

/// <summary>
/// A start's routing resolved by the statement of <see cref="RunWriter.StartAsync{TRoute}"/> that claims the workflow
/// id: CTEs (<see cref="Ctes"/>, built from the number of their first parameter) ending in one named <c>route</c> whose
/// single row has <c>marker</c> and <c>fingerprint</c> (what the run is stamped with) and <c>refused</c> (then nothing
/// is claimed). The statement returns <see cref="Columns"/> of it, which <see cref="Read"/> maps from their first ordinal.
/// </summary>
public sealed record ClaimRoute<TRoute>(Func<int, string> Ctes, IReadOnlyList<object?> Parameters, string Columns, Func<NpgsqlDataReader, int, TRoute> Read);

/// <summary>The start's run (null when nothing was claimed) and its route as the claim statement resolved it.</summary>
public sealed record RoutedStart<TRoute>(CreatedRun? Run, TRoute? Route);

public sealed record CreatedRun(string RunId, string TaskId, DateTimeOffset? ExecutionDeadlineAt, DateTimeOffset? RunDeadlineAt);
