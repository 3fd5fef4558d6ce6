namespace DurableWorkflow.Core.Engine;

/// <summary>
/// Where a run started by a workflow task (a child or a continue-as-new successor) gets its definition fingerprint:
/// the one the completing worker's registration advertises for the new run's type, i.e. the definition current at
/// that start (rollout contract §7.1, §7.4). Null when that worker advertises none; the first claim then records one.
/// </summary>
public static class DefinitionFingerprints
{
    public static async Task<string?> OfTaskWorkerAsync(EngineTransaction tx, string taskId, string workflowType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var read = tx.Command(
            """
            SELECT NULLIF(btrim(w.workflow_definition_fingerprints ->> $2), '')
              FROM workflow_tasks t
              JOIN workflow_worker_registrations w ON w.namespace = t.namespace AND w.worker_id = t.lease_owner
             WHERE t.id = $1
            """,
            taskId, workflowType);
        return await read.ExecuteScalarAsync(cancellationToken) as string;
    }
}
