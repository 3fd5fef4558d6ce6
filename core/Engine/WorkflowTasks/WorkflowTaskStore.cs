using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>A workflow task row as the guard and the payload builder need it.</summary>
public sealed record WorkflowTaskRow
{
    public required string Id { get; init; }

    public required string RunId { get; init; }

    public required string Status { get; init; }

    public required string TaskQueue { get; init; }

    public string? Compatibility { get; init; }

    public string? LeaseOwner { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Evaluated by PostgreSQL against its own clock, so node clock skew cannot matter.</summary>
    public bool LeaseExpired { get; init; }

    public required int AttemptCount { get; init; }

    public long? HistoryCutoffSequence { get; init; }

    public required JsonObject ResumeContext { get; init; }

    public JsonObject? ReplayableResponse { get; init; }

    public int RepairCount { get; init; }

    internal static string Columns => ColumnsOf("workflow_tasks");

    /// <summary>The selected columns, qualified with <paramref name="alias"/> so joins and <c>UPDATE ... FROM</c> stay unambiguous.</summary>
    internal static string ColumnsOf(string alias) =>
        $"""
        {alias}.id, {alias}.run_id, {alias}.status, {alias}.task_queue, {alias}.compatibility, {alias}.lease_owner, {alias}.lease_expires_at,
        ({alias}.status = 'leased' AND {alias}.lease_expires_at <= now()) AS expired, {alias}.attempt_count, {alias}.history_cutoff_sequence,
        {alias}.resume_context::text,
        CASE WHEN {alias}.status = 'completed' AND {alias}.closed_at > now() - interval '5 minutes' THEN {alias}.outcome_response::text END,
        {alias}.repair_count
        """;

    internal static WorkflowTaskRow Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        RunId = reader.GetString(1),
        Status = reader.GetString(2),
        TaskQueue = reader.GetString(3),
        Compatibility = reader.IsDBNull(4) ? null : reader.GetString(4),
        LeaseOwner = reader.IsDBNull(5) ? null : reader.GetString(5),
        LeaseExpiresAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
        LeaseExpired = !reader.IsDBNull(7) && reader.GetBoolean(7),
        AttemptCount = reader.GetInt32(8),
        HistoryCutoffSequence = reader.IsDBNull(9) ? null : reader.GetInt64(9),
        ResumeContext = JsonNode.Parse(reader.GetString(10)) as JsonObject ?? [],
        ReplayableResponse = reader.IsDBNull(11) ? null : JsonNode.Parse(reader.GetString(11)) as JsonObject,
        RepairCount = reader.GetInt32(12),
    };
}

/// <summary>Locked views and lease recovery for workflow tasks (docs/schema.md §6.3–§6.4).</summary>
public static class WorkflowTaskStore
{
    /// <summary>Locks the run, then the task (the engine's lock order); null when the task is unknown in the namespace.</summary>
    public static async Task<(RunState Run, WorkflowTaskRow Task)?> LockAsync(
        EngineTransaction tx, string ns, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        string runId;
        string instanceId;
        await using (var find = tx.Command(
            """
            SELECT t.run_id, r.workflow_instance_id
              FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
             WHERE t.id = $1 AND t.namespace = $2 AND t.task_type = 'workflow'
            """,
            taskId, ns))
        {
            await using var found = await find.ExecuteReaderAsync(cancellationToken);
            if (!await found.ReadAsync(cancellationToken))
            {
                return null;
            }

            runId = found.GetString(0);
            instanceId = found.GetString(1);
        }

        // Instance before run, as control-plane commands lock them: a completion may continue-as-new, which
        // updates the instance, and must not close a deadlock cycle with a concurrent signal or cancel.
        await using (var instance = tx.Command("SELECT 1 FROM workflow_instances WHERE id = $1 FOR NO KEY UPDATE", instanceId))
        {
            await instance.ExecuteNonQueryAsync(cancellationToken);
        }

        var run = await RunState.LockAsync(tx, runId, cancellationToken);
        await using var read = tx.Command($"SELECT {WorkflowTaskRow.Columns} FROM workflow_tasks WHERE id = $1 FOR UPDATE", taskId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (run!, WorkflowTaskRow.Read(reader));
    }

    /// <summary>
    /// Puts an expired lease back to ready (same row, so redelivery never duplicates a task), or cancels it when its run
    /// already ended. The caller holds the run lock; the predicate is re-checked so a concurrent recovery is a no-op.
    /// </summary>
    public static async Task<bool> RecoverExpiredAsync(EngineTransaction tx, RunState run, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        await using var recover = tx.Command(
            """
            UPDATE workflow_tasks
               SET status = CASE WHEN $2 THEN 'ready' ELSE 'cancelled' END,
                   closed_at = CASE WHEN $2 THEN NULL ELSE now() END,
                   lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL,
                   repair_count = repair_count + 1, updated_at = now()
             WHERE id = $1 AND status = 'leased' AND lease_expires_at <= now()
            RETURNING task_queue
            """,
            taskId, run.IsOpen);
        if (await recover.ExecuteScalarAsync(cancellationToken) is not string queue)
        {
            return false;
        }

        if (run.IsOpen)
        {
            tx.Wake(WakeChannels.WorkflowTasks(run.Namespace, queue));
        }

        return true;
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
