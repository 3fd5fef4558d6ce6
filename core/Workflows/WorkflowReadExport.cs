using System.Globalization;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// Assembles the history export bundle (control-plane spec §5.2) from a run and its detail rows, with the top-level keys
/// of the engine's <c>HistoryExport</c>. Neither client inspects the inner shapes, so rows carry this server's columns
/// under the engine's key names where one exists.
/// </summary>
internal static class WorkflowReadExport
{
    public const string Schema = "durable-workflow.v2.history-export";
    public const int SchemaVersion = 1;

    /// <summary>Where every projection of this server comes from; there are no rebuildable projections to report.</summary>
    private const string LineageSource = "workflow_links";

    /// <summary>The payload fields of the detail sections, for the payload manifest.</summary>
    private static readonly (string Section, string[] Fields)[] PayloadFields =
    [
        ("commands", ["payload"]),
        ("signals", ["arguments"]),
        ("updates", ["arguments", "result"]),
        ("activities", ["arguments", "result"]),
    ];

    public static JsonObject Build(RunViewRow run, Sections sections, DateTimeOffset now)
    {
        var bundle = new JsonObject
        {
            ["schema"] = Schema,
            ["schema_version"] = SchemaVersion,
            ["exported_at"] = WireTime.Micro(now),
            ["dedupe_key"] = string.Create(CultureInfo.InvariantCulture,
                $"{run.RunId}:{run.LastHistorySequence}:{WireTime.Micro(run.LastProgressAt ?? run.UpdatedAt)}"),
            ["history_complete"] = RunStatuses.IsTerminal(run.Status),
            ["workflow"] = Workflow(run),
            ["payloads"] = new JsonObject
            {
                ["codec"] = run.PayloadCodec,
                ["arguments"] = Payload(run.Arguments),
                ["output"] = Payload(run.Output),
            },
            ["summary"] = Summary(run),
            ["selected_run"] = new JsonObject
            {
                ["waits_projection_source"] = "workflow_waits",
                ["timeline_projection_source"] = "workflow_history_events",
                ["timers_projection_source"] = "workflow_timers",
                ["timers_projection_rebuild_reasons"] = new JsonArray(),
                ["lineage_projection_source"] = LineageSource,
            },
            ["history_events"] = sections.HistoryEvents,
            ["waits"] = sections.Waits,
            ["timeline"] = Timeline(sections.HistoryEvents),
            ["linked_intakes_scope"] = "selected_run",
            ["linked_intakes"] = new JsonArray(),
            ["commands"] = sections.Commands,
            ["signals"] = sections.Signals,
            ["updates"] = sections.Updates,
            ["tasks"] = sections.Tasks,
            ["activities"] = sections.Activities,
            ["timers"] = sections.Timers,
            ["failures"] = sections.Failures,
            ["links"] = new JsonObject
            {
                ["projection_source"] = LineageSource,
                ["parents"] = sections.Parents,
                ["children"] = sections.Children,
            },
            // No redactor is configurable on this server.
            ["redaction"] = new JsonObject { ["applied"] = false, ["policy"] = null, ["paths"] = new JsonArray() },
        };

        var manifest = PayloadManifest(bundle, run.PayloadCodec);
        bundle["codec_schemas"] = CodecSchemas(manifest);
        bundle["payload_manifest"] = new JsonObject { ["version"] = 1, ["entries"] = manifest };
        bundle["integrity"] = Integrity(bundle);
        return bundle;
    }

    private static JsonObject Workflow(RunViewRow run) => new()
    {
        ["instance_id"] = run.WorkflowId,
        ["run_id"] = run.RunId,
        ["run_number"] = run.RunNumber,
        ["is_current_run"] = run.IsCurrentRun,
        ["current_run_id"] = run.CurrentRunId,
        ["current_run_source"] = "workflow_instances.current_run_id",
        ["workflow_type"] = run.WorkflowType,
        // Polyglot workers register types, not classes; the type key is the closest equivalent of the PHP class.
        ["workflow_class"] = run.WorkflowType,
        ["business_key"] = run.BusinessKey,
        ["visibility_labels"] = new JsonObject(),
        ["memo"] = run.Memo.DeepClone(),
        ["search_attributes"] = run.SearchAttributes.DeepClone(),
        ["status"] = run.Status,
        ["status_bucket"] = run.StatusBucket,
        ["closed_reason"] = run.ClosedReason,
        ["archived_at"] = RunView.Micro(run.ArchivedAt),
        ["archive_command_id"] = run.ArchiveCommandId,
        ["archive_reason"] = run.ArchiveReason,
        ["compatibility"] = run.Compatibility,
        ["connection"] = null,
        ["queue"] = run.TaskQueue,
        ["last_history_sequence"] = run.LastHistorySequence,
        ["started_at"] = RunView.Micro(run.StartedAt),
        ["closed_at"] = RunView.Micro(run.ClosedAt),
        ["last_progress_at"] = RunView.Micro(run.LastProgressAt),
    };

    /// <summary>The run-summary snapshot; this server keeps the projection on the run row itself.</summary>
    private static JsonObject Summary(RunViewRow run) => new()
    {
        ["status"] = run.Status,
        ["status_bucket"] = run.StatusBucket,
        ["closed_reason"] = run.ClosedReason,
        ["business_key"] = run.BusinessKey,
        ["search_attributes"] = run.SearchAttributes.DeepClone(),
        ["is_current_run"] = run.IsCurrentRun,
        ["started_at"] = RunView.Micro(run.StartedAt),
        ["closed_at"] = RunView.Micro(run.ClosedAt),
        ["duration_ms"] = run.StartedAt is { } started && run.ClosedAt is { } closed
            ? (long?)(closed - started).TotalMilliseconds
            : null,
        ["wait_kind"] = run.WaitKind,
        ["wait_reason"] = run.WaitReason,
        ["wait_started_at"] = RunView.Micro(run.WaitStartedAt),
        ["next_task_id"] = run.NextTaskId,
        ["next_task_type"] = run.NextTaskType,
        ["next_task_status"] = run.NextTaskStatus,
        ["next_task_at"] = RunView.Micro(run.NextTaskAt),
        ["liveness_state"] = run.LivenessState,
        ["liveness_reason"] = run.LivenessReason,
        ["repair_attention"] = run.RepairAttention,
        ["task_problem"] = run.TaskProblem,
        ["history_event_count"] = run.LastHistorySequence,
        ["history_size_bytes"] = run.HistorySizeBytes,
        ["sort_timestamp"] = RunView.Micro(run.SortAt),
    };

    /// <summary>Inline payloads export their blob; an external-storage envelope exports its reference.</summary>
    private static JsonObject Payload(PayloadEnvelope? envelope) => new()
    {
        ["available"] = envelope is not null,
        ["data"] = envelope?.Blob is { } blob ? JsonValue.Create(blob) : envelope?.ExternalStorage?.DeepClone(),
    };

    private static JsonArray Timeline(JsonArray events) =>
    [
        .. events.Select(e => (JsonNode?)new JsonObject
        {
            ["id"] = e!["id"]?.DeepClone(),
            ["sequence"] = e["sequence"]?.DeepClone(),
            ["type"] = e["type"]?.DeepClone(),
            ["recorded_at"] = e["recorded_at"]?.DeepClone(),
            ["workflow_task_id"] = e["workflow_task_id"]?.DeepClone(),
            ["workflow_command_id"] = e["workflow_command_id"]?.DeepClone(),
        }),
    ];

    private static JsonArray PayloadManifest(JsonObject bundle, string runCodec)
    {
        var entries = new JsonArray
        {
            ManifestEntry("payloads.arguments.data", runCodec, bundle["payloads"]!["arguments"]!["data"]),
            ManifestEntry("payloads.output.data", runCodec, bundle["payloads"]!["output"]!["data"]),
        };
        foreach (var (section, fields) in PayloadFields)
        {
            var rows = bundle[section]!.AsArray();
            for (var index = 0; index < rows.Count; index++)
            {
                var codec = (string?)rows[index]!["payload_codec"] ?? runCodec;
                foreach (var field in fields)
                {
                    entries.Add(ManifestEntry(string.Create(CultureInfo.InvariantCulture, $"{section}.{index}.{field}"), codec, rows[index]![field]));
                }
            }
        }

        return entries;
    }

    private static JsonObject ManifestEntry(string path, string codec, JsonNode? payload) => new()
    {
        ["path"] = path,
        ["codec"] = codec,
        ["available"] = payload is not null,
        ["redacted"] = false,
        ["encoding"] = codec == PayloadEnvelope.DefaultCodec ? "base64-avro-binary" : "opaque-string",
        ["diagnostic"] = payload is null ? "payload_unavailable" : null,
    };

    /// <summary>
    /// How to decode the bundle's avro payloads offline. This server's avro framing is the single-object encoding of
    /// <c>durable_workflow.protocol.Value</c> (worker-protocol spec Appendix A), not the PHP engine's 0x00/0x01 wrapper.
    /// </summary>
    private static JsonObject CodecSchemas(JsonArray manifest)
    {
        var schemas = new JsonObject();
        if (manifest.Any(e => (bool)e!["available"]! && (string?)e["codec"] == PayloadEnvelope.DefaultCodec))
        {
            schemas[PayloadEnvelope.DefaultCodec] = new JsonObject
            {
                ["encoding"] = "base64-avro-binary",
                ["framing"] = "avro-single-object",
                ["single_object_marker_hex"] = "c301",
                ["writer_schema_name"] = "durable_workflow.protocol.Value",
                ["writer_schema_fingerprint"] = "crc64-avro:e2a33dff55802237",
            };
        }

        return schemas;
    }

    /// <summary>
    /// SHA-256 of the canonical bundle. Unsigned: the HMAC key (<c>DW_V2_HISTORY_EXPORT_SIGNING_KEY</c>) is not a
    /// server setting yet, and clients treat a null signature as "not signed".
    /// </summary>
    private static JsonObject Integrity(JsonObject bundle)
    {
        return new JsonObject
        {
            ["canonicalization"] = WorkflowReadIntegrity.Canonicalization,
            ["checksum_algorithm"] = "sha256",
            ["checksum"] = WorkflowReadIntegrity.Checksum(bundle),
            ["signature_algorithm"] = null,
            ["signature"] = null,
            ["key_id"] = null,
        };
    }

    /// <summary>The run's detail rows, assembled as JSON by the database in one snapshot.</summary>
    internal sealed record Sections(
        JsonArray HistoryEvents,
        JsonArray Commands,
        JsonArray Signals,
        JsonArray Updates,
        JsonArray Tasks,
        JsonArray Activities,
        JsonArray Timers,
        JsonArray Failures,
        JsonArray Waits,
        JsonArray Parents,
        JsonArray Children);
}
