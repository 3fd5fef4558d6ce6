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

    /// <summary>The task a received signal is applied by.</summary>
    public static ResumeContext ForSignal(string signalId, string name, string? signalWaitId, string? commandId) => Of(
        ("workflow_wait_kind", "signal"),
        ("open_wait_id", $"signal-application:{signalId}"),
        ("resume_source_kind", "workflow_signal"),
        ("resume_source_id", signalId),
        ("workflow_signal_id", signalId),
        ("signal_name", name),
        ("signal_wait_id", signalWaitId),
        ("workflow_command_id", commandId));

    /// <summary>The task an accepted update is applied by; only such tasks carry <c>workflow_update_id</c>.</summary>
    public static ResumeContext ForUpdate(string updateId) => Of(
        ("workflow_wait_kind", "update"),
        ("open_wait_id", $"update:{updateId}"),
        ("resume_source_kind", "workflow_update"),
        ("resume_source_id", updateId),
        ("workflow_update_id", updateId));

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
