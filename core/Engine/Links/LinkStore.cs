using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Engine.Links;

/// <summary>A parent's <c>start_child_workflow</c> step, frozen with its policies.</summary>
public sealed record NewChildLink(
    string Id,
    string Namespace,
    string ParentInstanceId,
    string ParentRunId,
    int ParentSequence,
    string ChildCallId,
    string ChildInstanceId,
    string ChildRunId,
    string ParentClosePolicy,
    JsonNode? RetryPolicy,
    JsonObject? ParallelGroup);

/// <summary>What a resolved child link carries back to the parent's <c>ChildRun*</c> event.</summary>
public sealed record ResolvedLink(string Id, string? ChildCallId, JsonObject? ParallelGroup);

/// <summary>
/// Every write of <c>workflow_links</c> (docs/schema.md §3): a parent's child step (opened, moved to a retry or
/// continue-as-new successor run, resolved when the child closes) and the resolved continue-as-new link of a chain.
/// Callers pass their own transaction.
/// </summary>
public static class LinkStore
{
    public static async Task OpenChildAsync(EngineTransaction tx, NewChildLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(link);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_links (id, namespace, link_type, parent_workflow_instance_id, parent_workflow_run_id, parent_sequence,
                                        child_call_id, child_workflow_instance_id, child_workflow_run_id, parent_close_policy,
                                        retry_policy, parallel_group)
            VALUES ($1, $2, 'child_workflow', $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb)
            """,
            link.Id, link.Namespace, link.ParentInstanceId, link.ParentRunId, link.ParentSequence, link.ChildCallId, link.ChildInstanceId,
            link.ChildRunId, SqlValue.Text(link.ParentClosePolicy), SqlValue.Json(link.RetryPolicy), SqlValue.Json(link.ParallelGroup));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records that <paramref name="runId"/> continued as <paramref name="successorRunId"/> of the same instance.</summary>
    public static async Task RecordContinueAsNewAsync(
        EngineTransaction tx, string linkId, string ns, string instanceId, string runId, string successorRunId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_links (id, namespace, link_type, parent_workflow_instance_id, parent_workflow_run_id,
                                        child_workflow_instance_id, child_workflow_run_id, status, resolved_at)
            VALUES ($1, $2, 'continue_as_new', $3, $4, $3, $5, 'resolved', now())
            """,
            linkId, ns, instanceId, runId, successorRunId);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A child run that continued as new: its parent's open link now follows the successor run.</summary>
    public static async Task FollowContinuedChildAsync(EngineTransaction tx, string runId, string successorRunId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var move = tx.Command(
            "UPDATE workflow_links SET child_workflow_run_id = $2, updated_at = now() WHERE child_workflow_run_id = $1 AND link_type = 'child_workflow' AND status = 'open'",
            runId, successorRunId);
        await move.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A failed child is retried as a new run of the same child instance; the link stays the parent's step.</summary>
    public static async Task MoveToRetryRunAsync(EngineTransaction tx, string linkId, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var move = tx.Command("UPDATE workflow_links SET child_workflow_run_id = $2, updated_at = now() WHERE id = $1", linkId, runId);
        await move.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Resolves the open link of a closed child run; null when it has none.</summary>
    public static async Task<ResolvedLink?> ResolveChildAsync(EngineTransaction tx, string childRunId, string childStatus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var resolve = tx.Command(
            """
            UPDATE workflow_links SET status = 'resolved', child_status = $2, resolved_at = now(), updated_at = now()
             WHERE child_workflow_run_id = $1 AND link_type = 'child_workflow' AND status = 'open'
            RETURNING id, child_call_id, parallel_group::text
            """,
            childRunId, childStatus);
        await using var reader = await resolve.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ResolvedLink(reader.GetString(0), reader.StringOrNull(1), reader.JsonObjectOrNull(2))
            : null;
    }
}
