namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The SQL of compatibility routing (rollout contract §5.2–5.6), kept in one place so the claim queries, the start
/// gate, the blocked-run projection and the fleet checks can never disagree about what a marker or a live heartbeat is.
/// </summary>
public static class CompatibilityRouting
{
    /// <summary>The task's own trimmed marker, else its run's; null = unmarked (any worker).</summary>
    public static string EffectiveMarkerSql(string task, string run) =>
        $"COALESCE(NULLIF(btrim({task}.compatibility), ''), NULLIF(btrim({run}.compatibility), ''))";

    /// <summary>
    /// A worker whose marker is <paramref name="workerMarker"/> (null when unversioned) may take the task: the task is
    /// unmarked, or its effective marker equals the worker's exactly.
    /// </summary>
    public static string MatchesSql(string task, string run, string workerMarker) =>
        $"({EffectiveMarkerSql(task, run)} IS NULL OR {EffectiveMarkerSql(task, run)} = {workerMarker})";

    /// <summary>
    /// The polling worker's cohort (<paramref name="buildId"/>, null when unversioned) is not drained in the queue
    /// (rollout contract §6.7): checked inside the claim, not only when the poll was admitted, so a poll that parked
    /// before a drain and wakes after it claims nothing.
    /// </summary>
    public static string CohortNotDrainingSql(string ns, string queue, string buildId) =>
        $"""
        NOT EXISTS (SELECT 1 FROM workflow_worker_build_id_rollouts cohort
                     WHERE cohort.namespace = {ns} AND cohort.task_queue = {queue}
                       AND cohort.build_id = COALESCE({buildId}::text, '') AND cohort.drain_intent = 'draining')
        """;

    /// <summary>
    /// Live fleet heartbeats of a scope (§5.4): <c>expires_at ≥ now()</c>; a row with a null namespace or queue matches
    /// any, and a null target namespace matches every row.
    /// </summary>
    public static string LiveHeartbeatsSql(string alias, string ns, string queue) =>
        $"""
        workflow_worker_compatibility_heartbeats {alias}
         WHERE {alias}.expires_at >= now()
           AND ({alias}.namespace IS NULL OR {ns}::text IS NULL OR {alias}.namespace = {ns})
           AND ({alias}.queue IS NULL OR {queue}::text IS NULL OR {alias}.queue = {queue})
        """;

    /// <summary>The heartbeat row advertises the marker or the wildcard.</summary>
    public static string HeartbeatSupportsSql(string alias, string marker) =>
        $"({alias}.supported @> jsonb_build_array({marker}::text) OR {alias}.supported @> '[\"*\"]'::jsonb)";

    /// <summary>
    /// A <c>LEFT JOIN LATERAL</c> giving, for an open run <paramref name="run"/>, its compatibility-blocked task (§5.6):
    /// a workflow or activity task that is ready and due (or leased with an expired lease) whose effective marker is
    /// neither in <paramref name="ownSupported"/> (this process's <c>DW_V2_SUPPORTED_COMPATIBILITIES</c>, a text[])
    /// nor supported by any live heartbeat of the task's scope. Columns: <c>blocked_kind</c> (task type) and
    /// <c>blocked_since</c> (when the task became due). Computed at read time, so it is never stale.
    /// </summary>
    public static string BlockedTaskLateral(string run, string ownSupported) =>
        $"""
        LEFT JOIN LATERAL (
            SELECT bt.task_type AS blocked_kind, bt.available_at AS blocked_since
              FROM workflow_tasks bt
             WHERE {run}.closed_at IS NULL AND bt.run_id = {run}.id
               AND bt.task_type IN ('workflow', 'activity')
               AND ((bt.status = 'ready' AND bt.available_at <= now())
                    OR (bt.status = 'leased' AND bt.lease_expires_at <= now()))
               AND {EffectiveMarkerSql("bt", run)} IS NOT NULL
               AND NOT ({EffectiveMarkerSql("bt", run)} = ANY ({ownSupported}::text[]) OR '*' = ANY ({ownSupported}::text[]))
               AND NOT EXISTS (SELECT 1 FROM {LiveHeartbeatsSql("bh", "bt.namespace", "bt.task_queue")}
                                 AND {HeartbeatSupportsSql("bh", EffectiveMarkerSql("bt", run))})
             ORDER BY bt.task_type = 'workflow' DESC, bt.available_at, bt.id
             LIMIT 1) blocked ON true
        """;

    /// <summary>The run's liveness state with the blocked projection taking precedence (§5.6, §8.1).</summary>
    public static string LivenessSql(string run) =>
        $"COALESCE(blocked.blocked_kind || '_task_waiting_for_compatible_worker', {run}.liveness_state)";
}
