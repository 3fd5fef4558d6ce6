using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

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

/// <summary>Inserts a run with its opening history and first workflow task, inside the caller's transaction.</summary>
public static class RunWriter
{
    public static async Task<CreatedRun> InsertAsync(EngineTransaction tx, NewRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(run);
        var taskId = Ulid.NewId();
        DateTimeOffset? executionDeadline;
        DateTimeOffset? runDeadline;
        await using (var insert = tx.Command(
            """
            INSERT INTO workflow_runs (id, namespace, workflow_instance_id, run_number, workflow_type, business_key, task_queue,
                   compatibility, priority, payload_codec, arguments, memo, search_attributes, execution_timeout_seconds,
                   run_timeout_seconds, execution_deadline_at, run_deadline_at, parent_workflow_instance_id,
                   parent_workflow_run_id, parent_sequence, continued_from_run_id, retry_attempt, retry_of_run_id, started_at,
                   liveness_state, next_task_id, next_task_type, next_task_status, next_task_at, last_progress_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14, $15,
                    COALESCE($16, now() + make_interval(secs => $14)), now() + make_interval(secs => $15),
                    $17, $18, $19, $20, $22, $23, now(), 'workflow_task_ready', $21, 'workflow', 'ready',
                    now() + make_interval(secs => $24), now())
            RETURNING execution_deadline_at, run_deadline_at
            """,
            run.RunId, run.Namespace, run.InstanceId, run.RunNumber, run.WorkflowType, Text(run.BusinessKey), run.TaskQueue,
            Text(run.Compatibility), (short)run.Priority, run.PayloadCodec, Json(run.Arguments), run.Memo.ToJsonString(),
            run.SearchAttributes.ToJsonString(), Int(run.ExecutionTimeoutSeconds), Int(run.RunTimeoutSeconds),
            new NpgsqlParameter { Value = (object?)run.ExecutionDeadlineAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            Text(run.ParentInstanceId), Text(run.ParentRunId), Int(run.ParentSequence), Text(run.ContinuedFromRunId), taskId,
            run.RetryAttempt, Text(run.RetryOfRunId), run.FirstTaskDelaySeconds))
        {
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            executionDeadline = reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
            runDeadline = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        }

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
        foreach (var (key, value) in run.StartedExtras)
        {
            started[key] = value?.DeepClone();
        }

        events.Add(new NewHistoryEvent("WorkflowStarted", started));
        await HistoryStore.AppendAsync(tx, run.RunId, events, null, run.CommandId, cancellationToken);
        await TaskRows.InsertWorkflowTaskAsync(tx, new WorkflowTaskSpec(run.Namespace, run.RunId, run.TaskQueue, run.WorkflowType,
            run.Compatibility, run.Priority, ResumeContext.None, taskId, run.FirstTaskDelaySeconds), cancellationToken);
        return new CreatedRun(run.RunId, taskId, executionDeadline, runDeadline);
    }

    internal static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar };

    internal static NpgsqlParameter Int(int? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    internal static NpgsqlParameter Json(JsonNode? value) => new() { Value = (object?)value?.ToJsonString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}

public sealed record CreatedRun(string RunId, string TaskId, DateTimeOffset? ExecutionDeadlineAt, DateTimeOffset? RunDeadlineAt);
