using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Workflows;

/// <summary>A control-plane command about to be recorded, numbered from its instance's counter.</summary>
internal sealed record NewCommand(
    string Id,
    string Namespace,
    RunState Run,
    CommandTarget Target,
    long Sequence,
    string CommandType,
    string? RequestId,
    CommandRecord Record,
    JsonObject Response);

/// <summary>
/// Every write of <c>workflow_commands</c> (control-plane spec §4.6.1): each command is recorded once, with the first
/// answer a <c>request_id</c> retry replays. Callers pass their own transaction.
/// </summary>
internal static class CommandStore
{
    public static async Task InsertAsync(EngineTransaction tx, NewCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(command);
        var record = command.Record;
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_commands (id, namespace, workflow_instance_id, run_id, requested_run_id, command_sequence,
                                           command_type, target_scope, status, outcome, rejection_reason, reason, request_id,
                                           operation_name, payload_codec, payload, response, applied_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17::jsonb,
                    CASE WHEN $18 THEN now() END)
            """,
            command.Id, command.Namespace, command.Run.InstanceId, command.Run.Id, SqlValue.Text(command.Target.RunId), command.Sequence,
            command.CommandType, command.Target.Scope, record.Status, SqlValue.Text(record.Outcome), SqlValue.Text(record.RejectionReason),
            SqlValue.Text(record.Reason), SqlValue.Text(command.RequestId), SqlValue.Text(record.OperationName),
            SqlValue.Text(record.Payload?.Codec), SqlValue.Json(record.Payload?.ToJson()), command.Response.ToJsonString(),
            // An update is applied later, by the workflow task that completes it; everything else applies now.
            record.Status == "accepted" && command.CommandType != "update");
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records a start: accepted with its new run, or rejected as a duplicate (then without a sequence), or refused by
    /// the compatibility start gate (then without a run).
    /// </summary>
    public static async Task InsertStartAsync(
        EngineTransaction tx, string commandId, string ns, string workflowId, string? runId, long? sequence, string status, string outcome,
        string? rejectionReason, string responseJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_commands (id, namespace, workflow_instance_id, run_id, command_sequence, command_type, status,
                                           outcome, rejection_reason, response, applied_at)
            VALUES ($1, $2, $3, $4, $5, 'start', $6, $7, $8, $9::jsonb, now())
            """,
            commandId, ns, workflowId, SqlValue.Text(runId), SqlValue.Long(sequence), status, outcome, SqlValue.Text(rejectionReason), responseJson);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// An accepted start's record (sequence 1, with its new run) as a write of the statement that claims the workflow id
    /// (<see cref="NewInstance.OnClaim"/>): it exists exactly when the claim succeeded, at no extra round trip.
    /// </summary>
    public static ClaimWrite AcceptedStart(string commandId, string ns, string runId, string responseJson) => new(
        first => $"""
            command AS (
                INSERT INTO workflow_commands (id, namespace, workflow_instance_id, run_id, command_sequence, command_type, status,
                                               outcome, rejection_reason, response, applied_at)
                SELECT ${first}, ${first + 1}, claimed.id, ${first + 2}, 1, 'start', 'accepted', 'started_new', NULL, ${first + 3}::jsonb, now()
                  FROM claimed)
            """,
        [commandId, ns, runId, responseJson]);
}
