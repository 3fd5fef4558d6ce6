using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// Why a workflow task exists (worker-protocol spec §3.1.5). Stored with only the keys that apply; served with every
/// key present, null where it does not apply, because the SDKs read them unconditionally.
/// </summary>
public sealed class ResumeContext
{
    public static readonly IReadOnlyList<string> Keys =
    [
        "workflow_wait_kind", "open_wait_id", "resume_source_kind", "resume_source_id", "workflow_update_id",
        "workflow_signal_id", "signal_name", "signal_wait_id", "workflow_command_id", "activity_execution_id",
        "activity_attempt_id", "activity_type", "child_call_id", "child_workflow_run_id", "workflow_sequence",
        "workflow_event_type", "timer_id", "condition_wait_id", "condition_key", "condition_definition_fingerprint",
    ];

    private ResumeContext(JsonObject values) => Values = values;

    public static ResumeContext None => new([]);

    public JsonObject Values { get; }

    public static ResumeContext Of(params (string Key, JsonNode? Value)[] values)
    {
        var json = new JsonObject();
        foreach (var (key, value) in values)
        {
            if (!Keys.Contains(key))
            {
                throw new ArgumentException($"{key} is not a resume-context key.", nameof(values));
            }

            if (value is not null)
            {
                json[key] = value;
            }
        }

        return new ResumeContext(json);
    }

    /// <summary>Every key, in the documented order, from the stored subset.</summary>
    public static JsonObject Expand(JsonObject? stored)
    {
        var full = new JsonObject();
        foreach (var key in Keys)
        {
            full[key] = stored?[key]?.DeepClone();
        }

        return full;
    }
}

public sealed record WorkflowTaskSpec(
    string Namespace,
    string RunId,
    string TaskQueue,
    string WorkflowType,
    string? Compatibility,
    int Priority,
    ResumeContext Resume,
    string? TaskId = null,
    int DelaySeconds = 0);

/// <summary>Creates tasks; the partial unique indexes, not this code, guarantee one open workflow task per run.</summary>
public static class TaskWriter
{
    /// <summary>
    /// Inserts the run's next workflow task unless one is already ready or leased, in which case that task will see
    /// the new history. Returns the new task id, or null when an open task already existed.
    /// </summary>
    public static async Task<string?> InsertWorkflowTaskAsync(EngineTransaction tx, WorkflowTaskSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(spec);
        var id = spec.TaskId ?? Ulid.NewId();
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_tasks (id, namespace, run_id, task_type, task_queue, workflow_type, compatibility, priority, resume_context,
                                        available_at)
            VALUES ($1, $2, $3, 'workflow', $4, $5, $6, $7, $8::jsonb, now() + make_interval(secs => $9))
            ON CONFLICT (run_id) WHERE task_type = 'workflow' AND status IN ('ready', 'leased') DO NOTHING
            RETURNING id
            """,
            id, spec.Namespace, spec.RunId, spec.TaskQueue, spec.WorkflowType, RunWriter.Text(spec.Compatibility),
            (short)spec.Priority, spec.Resume.Values.ToJsonString(), spec.DelaySeconds);
        var created = await insert.ExecuteScalarAsync(cancellationToken) as string;
        if (created is not null)
        {
            await RegisterQueueAsync(tx, spec.Namespace, spec.TaskQueue, cancellationToken);
            tx.Wake(WakeChannels.WorkflowTasks(spec.Namespace, spec.TaskQueue));
        }

        return created;
    }

    public static async Task RegisterQueueAsync(EngineTransaction tx, string ns, string queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var upsert = tx.Command(
            "INSERT INTO workflow_task_queues (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", ns, queue);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }
}
