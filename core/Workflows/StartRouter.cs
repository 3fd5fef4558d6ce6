using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// What a new run is stamped with and whether the fail-mode start gate admits it (rollout contract §5.2, §5.5, §7.1).
/// </summary>
/// <param name="Marker">The run's compatibility marker; never <c>*</c>.</param>
/// <param name="Fingerprint">The definition fingerprint recorded at start, or null (then the first claim records it).</param>
/// <param name="Refusal">The mismatch sentence when the start gate refuses the start, else null.</param>
public sealed record StartRoute(string? Marker, string? Fingerprint, string? Refusal);

/// <summary>
/// Resolves a start's routing in one statement: the marker is the start option <c>build_id</c> (or <c>compatibility</c>),
/// else the queue's promoted build (latest <c>promoted_at</c>; never a draining or rolled-back build), else this node's
/// <c>DW_V2_CURRENT_COMPATIBILITY</c>. The fingerprint is the start option <c>workflow_definition_fingerprint</c>, else
/// the one every live, active worker of the selected cohort that accepts the type advertises. The gate evaluates the
/// marker that will be stamped (§15 item 7), so an explicit <c>build_id</c> cannot slip past it.
/// </summary>
public sealed class StartRouter(ServerSettings settings)
{
    private static readonly string Sql =
        $"""
        WITH promoted AS (
            SELECT b.build_id
              FROM workflow_worker_build_id_rollouts b
             WHERE b.namespace = $1 AND b.task_queue = $2 AND b.new_start_selected
               AND b.drain_intent <> 'draining' AND b.rolled_back_at IS NULL
             ORDER BY b.promoted_at DESC NULLS LAST, b.build_id DESC
             LIMIT 1
        ), marker AS (
            SELECT CASE WHEN $3::text IS NOT NULL THEN $3::text
                        WHEN EXISTS (SELECT 1 FROM promoted) THEN (SELECT NULLIF(build_id, '') FROM promoted)
                        ELSE $4::text END AS m
        ), cohort AS (
            SELECT NULLIF(btrim(r.workflow_definition_fingerprints ->> $5), '') AS fp
              FROM workflow_worker_registrations r, marker
             WHERE r.namespace = $1 AND r.task_queue = $2 AND r.build_id_key = COALESCE(marker.m, '')
               AND r.status = 'active'
               AND (r.last_heartbeat_at IS NULL OR r.last_heartbeat_at >= now() - make_interval(secs => $6))
               AND (jsonb_array_length(r.supported_workflow_types) = 0 OR r.supported_workflow_types @> jsonb_build_array($5::text))
        )
        SELECT marker.m,
               (SELECT CASE WHEN count(*) > 0 AND count(fp) = count(*) AND count(DISTINCT fp) = 1 THEN min(fp) END FROM cohort),
               (SELECT count(*) FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "$2")})::int,
               (SELECT count(*) FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "$2")}
                   AND {CompatibilityRouting.HeartbeatSupportsSql("h", "marker.m")})::int,
               (SELECT string_agg(DISTINCT advertised.s, ', ' ORDER BY advertised.s)
                  FROM (SELECT jsonb_array_elements_text(h.supported) AS s
                          FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "$2")}) advertised)
          FROM marker
        """;

    public async Task<StartRoute> ResolveAsync(
        EngineTransaction tx, string ns, string taskQueue, string workflowType, string? buildId, string? fingerprint, bool gate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(Sql, ns, taskQueue, SqlValue.Text(CompatibilityMarkers.Normalize(buildId)),
            SqlValue.Text(settings.Compatibility.Current), workflowType, settings.WorkerStaleAfterSeconds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var marker = reader.IsDBNull(0) ? null : reader.GetString(0);
        var cohortFingerprint = reader.IsDBNull(1) ? null : reader.GetString(1);
        var liveScopes = reader.GetInt32(2);
        var supporters = reader.GetInt32(3);
        var advertised = reader.IsDBNull(4) ? null : reader.GetString(4);

        // Fail mode refuses only a marked start into a scope that has live workers, none of which takes the marker:
        // an empty scope is exempt so the first worker of a fresh queue is not raced by the gate (§5.5).
        string? refusal = null;
        if (gate && settings.Compatibility.FleetValidationMode == FleetValidationMode.Fail && marker is not null && liveScopes > 0 && supporters == 0)
        {
            refusal = $"No active worker heartbeat for namespace [{ns}] queue [{taskQueue}] advertises compatibility [{marker}]."
                + (advertised is null ? string.Empty : $" Advertised: [{advertised}].");
        }

        return new StartRoute(marker, CompatibilityMarkers.Normalize(fingerprint) ?? cohortFingerprint, refusal);
    }
}
