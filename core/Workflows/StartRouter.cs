using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// What a new run is stamped with and whether the fail-mode start gate admits it (rollout contract §5.2, §5.5, §7.1).
/// </summary>
/// <param name="Marker">The run's compatibility marker; never <c>*</c>.</param>
/// <param name="Fingerprint">The definition fingerprint recorded at start, or null (then the first claim records it).</param>
/// <param name="Refusal">The mismatch sentence when the start gate refuses the start, else null.</param>
/// <param name="InstanceExists">Only for a refused start: the workflow id is already taken (the duplicate policy answers it).</param>
public sealed record StartRoute(string? Marker, string? Fingerprint, string? Refusal, bool InstanceExists = false);

/// <summary>
/// Resolves a start's routing in one statement: the marker is the start option <c>build_id</c> (or <c>compatibility</c>),
/// else the queue's promoted build (latest <c>promoted_at</c>; never a draining or rolled-back build), else this node's
/// <c>DW_V2_CURRENT_COMPATIBILITY</c>. The fingerprint is the start option <c>workflow_definition_fingerprint</c>, else
/// the one every live, active worker of the selected cohort that accepts the type advertises. The gate evaluates the
/// marker that will be stamped (§15 item 7), so an explicit <c>build_id</c> cannot slip past it. The routing is CTEs
/// ending in <c>route</c>, so the start's claim statement can carry it (<see cref="Claim"/>) instead of a read before it.
/// </summary>
public sealed class StartRouter(ServerSettings settings)
{
    /// <summary>
    /// Parameters: $1 namespace, $2 queue, $3 explicit marker, $4 this node's marker, $5 workflow type, $6 heartbeat
    /// staleness seconds, $7 explicit fingerprint, $8 whether the fail-mode gate applies, $9 the workflow id (or null).
    /// </summary>
    private static readonly string RouteCtes =
        $"""
        promoted AS (
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
        ), routed AS (
            SELECT marker.m,
                   (SELECT CASE WHEN count(*) > 0 AND count(fp) = count(*) AND count(DISTINCT fp) = 1 THEN min(fp) END FROM cohort) AS cohort_fp,
                   (SELECT count(*) FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "$2")}) AS live_scopes,
                   (SELECT count(*) FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "$2")}
                       AND {CompatibilityRouting.HeartbeatSupportsSql("h", "marker.m")}) AS supporters,
                   (SELECT string_agg(DISTINCT advertised.s, ', ' ORDER BY advertised.s)
                      FROM (SELECT jsonb_array_elements_text(h.supported) AS s
                              FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "$2")}) advertised) AS advertised
              FROM marker
        ), gated AS (
            -- Fail mode refuses only a marked start into a scope that has live workers, none of which takes the marker:
            -- an empty scope is exempt so the first worker of a fresh queue is not raced by the gate (§5.5).
            SELECT routed.m, COALESCE($7::text, routed.cohort_fp) AS fingerprint, routed.advertised,
                   ($8::boolean AND routed.m IS NOT NULL AND routed.live_scopes > 0 AND routed.supporters = 0) AS refused
              FROM routed
        ), route AS (
            SELECT gated.m AS marker, gated.fingerprint, gated.refused, gated.advertised,
                   gated.refused AND EXISTS (SELECT 1 FROM workflow_instances i WHERE i.id = $9::text) AS instance_exists
              FROM gated
        )
        """;

    private const string RouteColumns = "route.marker, route.fingerprint, route.refused, route.advertised, route.instance_exists";

    private static readonly string ResolveSql = $"WITH {RouteCtes}\nSELECT {RouteColumns} FROM route";

    /// <summary>The routing read on its own, where nothing is claimed after it (the schedule gate, a start refused for its search attributes).</summary>
    public async Task<StartRoute> ResolveAsync(
        EngineTransaction tx, string ns, string taskQueue, string workflowType, string? buildId, string? fingerprint, bool gate, string? workflowId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(ResolveSql, [.. Parameters(ns, taskQueue, workflowType, buildId, fingerprint, gate, workflowId)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader, 0, ns, taskQueue);
    }

    /// <summary>
    /// The routing as the leading CTEs of the statement that claims the workflow id (<see cref="RunWriter.StartAsync{TRoute}"/>):
    /// the run is stamped with the route's marker and fingerprint, and a refused start claims and writes nothing.
    /// </summary>
    public ClaimRoute<StartRoute> Claim(string ns, string taskQueue, string workflowType, string? buildId, string? fingerprint, bool gate, string workflowId) =>
        new(first => SqlParameters.NumberFrom(RouteCtes, first - 1), Parameters(ns, taskQueue, workflowType, buildId, fingerprint, gate, workflowId),
            RouteColumns, (reader, at) => Read(reader, at, ns, taskQueue));

    private object?[] Parameters(string ns, string taskQueue, string workflowType, string? buildId, string? fingerprint, bool gate, string? workflowId) =>
    [
        ns, taskQueue, SqlValue.Text(CompatibilityMarkers.Normalize(buildId)), SqlValue.Text(settings.Compatibility.Current), workflowType,
        settings.WorkerStaleAfterSeconds, SqlValue.Text(CompatibilityMarkers.Normalize(fingerprint)),
        gate && settings.Compatibility.FleetValidationMode == FleetValidationMode.Fail, SqlValue.Text(workflowId),
    ];

    private static StartRoute Read(NpgsqlDataReader reader, int at, string ns, string taskQueue)
    {
        var marker = reader.StringOrNull(at);
        var advertised = reader.StringOrNull(at + 3);
        var refusal = reader.GetBoolean(at + 2)
            ? $"No active worker heartbeat for namespace [{ns}] queue [{taskQueue}] advertises compatibility [{marker}]."
                + (advertised is null ? string.Empty : $" Advertised: [{advertised}].")
            : null;
        return new StartRoute(marker, reader.StringOrNull(at + 1), refusal, reader.GetBoolean(at + 4));
    }
}
