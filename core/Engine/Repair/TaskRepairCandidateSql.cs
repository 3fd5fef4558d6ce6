using NpgsqlTypes;
using Npgsql;

namespace DurableWorkflow.Core.Engine.Repair;

/// <summary>
/// The repair candidate predicates of rollout contract §8.3–8.4, written once and used by the pass, the status scan
/// and the liveness projection, so the three never disagree. Parameters: <c>$1</c> redispatch_after_seconds,
/// <c>$2</c> run ids (text[] or NULL), <c>$3</c> instance id (or NULL).
/// </summary>
internal static class TaskRepairCandidateSql
{
    /// <summary>
    /// <c>existing</c>: ready, due tasks that need redispatch (dispatch failed and its backoff elapsed, claim failed past
    /// its backoff, or dispatch overdue) and leased tasks whose lease expired. <c>missing</c>: open runs a durable
    /// resume source is missing for: a received signal or accepted update with no open workflow task, a pending timer
    /// with no timer task, a pending activity with no activity task, or nothing at all that would ever resume the run.
    /// </summary>
    public const string Ctes =
        """
        existing AS (
            SELECT t.id, t.run_id, t.task_queue AS queue, t.compatibility, t.created_at AS since
              FROM workflow_tasks t
             WHERE (t.status = 'leased' AND t.lease_expires_at <= now()
                    OR t.status = 'ready' AND t.available_at <= now() AND (
                       (t.last_dispatch_attempt_at IS NOT NULL AND btrim(COALESCE(t.last_dispatch_error, '')) <> ''
                        AND (t.last_dispatched_at IS NULL OR t.last_dispatched_at < t.last_dispatch_attempt_at)
                        AND (t.repair_available_at IS NULL OR t.repair_available_at <= now()))
                    OR (t.last_claim_failed_at IS NOT NULL AND btrim(COALESCE(t.last_claim_error, '')) <> ''
                        AND (t.repair_available_at <= now()
                             OR t.repair_available_at IS NULL AND t.last_claim_failed_at <= now() - make_interval(secs => $1)))
                    OR (NOT (t.last_dispatch_attempt_at IS NOT NULL AND btrim(COALESCE(t.last_dispatch_error, '')) <> ''
                             AND (t.last_dispatched_at IS NULL OR t.last_dispatched_at < t.last_dispatch_attempt_at))
                        AND NOT (t.last_claim_failed_at IS NOT NULL AND btrim(COALESCE(t.last_claim_error, '')) <> '')
                        AND COALESCE(t.last_dispatched_at, t.created_at) <= now() - make_interval(secs => $1))))
               AND ($2::text[] IS NULL OR t.run_id = ANY ($2::text[]))
               AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM workflow_runs x WHERE x.id = t.run_id AND x.workflow_instance_id = $3::text))
        ), missing AS (
            SELECT r.id AS run_id, r.task_queue AS queue, r.compatibility, COALESCE(r.started_at, r.created_at) AS since
              FROM workflow_runs r
             WHERE r.status IN ('pending', 'running', 'waiting')
               AND ($2::text[] IS NULL OR r.id = ANY ($2::text[]))
               AND ($3::text IS NULL OR r.workflow_instance_id = $3::text)
               AND (
                   NOT EXISTS (SELECT 1 FROM workflow_tasks t WHERE t.run_id = r.id AND t.task_type = 'workflow' AND t.status IN ('ready', 'leased'))
                   AND (EXISTS (SELECT 1 FROM workflow_signals s WHERE s.run_id = r.id AND s.status = 'received')
                        OR EXISTS (SELECT 1 FROM workflow_updates u WHERE u.run_id = r.id AND u.status = 'accepted'))
                OR EXISTS (SELECT 1 FROM workflow_timers tm WHERE tm.run_id = r.id AND tm.status = 'pending'
                             AND NOT EXISTS (SELECT 1 FROM workflow_tasks t WHERE t.timer_id = tm.id AND t.task_type = 'timer' AND t.status IN ('ready', 'leased')))
                OR EXISTS (SELECT 1 FROM workflow_activity_executions e WHERE e.run_id = r.id AND e.status = 'pending'
                             AND NOT EXISTS (SELECT 1 FROM workflow_tasks t WHERE t.activity_execution_id = e.id AND t.task_type = 'activity' AND t.status IN ('ready', 'leased')))
                OR NOT EXISTS (SELECT 1 FROM workflow_tasks t WHERE t.run_id = r.id AND t.status IN ('ready', 'leased'))
                   AND NOT EXISTS (SELECT 1 FROM workflow_activity_executions e WHERE e.run_id = r.id AND e.status IN ('pending', 'running'))
                   AND NOT EXISTS (SELECT 1 FROM workflow_timers tm WHERE tm.run_id = r.id AND tm.status = 'pending')
                   AND NOT EXISTS (SELECT 1 FROM workflow_waits w WHERE w.run_id = r.id AND w.status = 'open')
                   AND NOT EXISTS (SELECT 1 FROM workflow_links l WHERE l.parent_workflow_run_id = r.id AND l.link_type = 'child_workflow' AND l.status = 'open'))
        )
        """;

    public static void AddFilter(NpgsqlCommand command, int redispatchAfterSeconds, IReadOnlyList<string>? runIds, string? instanceId)
    {
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = redispatchAfterSeconds });
        command.Parameters.Add(new NpgsqlParameter { Value = runIds is null ? DBNull.Value : runIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)instanceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
    }
}
