using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The <c>routing_drains</c> summary of the admin health snapshot: which queues have draining build-id cohorts (from the
/// persisted rollout rows, the same source a poll's admission reads) and how the namespace's registrations split into
/// active, draining and stale workers. Read-only.
/// </summary>
public sealed class RoutingDrainsReader(NpgsqlDataSource dataSource, ServerSettings settings)
{
    private const string DrainsSql =
        """
        SELECT task_queue, count(*)::int, max(drained_at)
          FROM workflow_worker_build_id_rollouts
         WHERE namespace = $1 AND drain_intent = 'draining'
         GROUP BY task_queue
         ORDER BY task_queue
        """;

    // A worker's status follows its cohort's rollout row when one exists, as poll admission does; stale is derived
    // from the heartbeat and wins over both, since a stale worker takes no work either way.
    private const string WorkersSql =
        """
        WITH w AS (
            SELECT COALESCE(ro.drain_intent, w.status) AS status,
                   (w.last_heartbeat_at IS NOT NULL AND w.last_heartbeat_at < now() - make_interval(secs => $2)) AS stale
              FROM workflow_worker_registrations w
              LEFT JOIN workflow_worker_build_id_rollouts ro
                ON ro.namespace = w.namespace AND ro.task_queue = w.task_queue AND ro.build_id = w.build_id_key
             WHERE w.namespace = $1
        )
        SELECT count(*) FILTER (WHERE NOT stale AND status <> 'draining')::int,
               count(*) FILTER (WHERE NOT stale AND status = 'draining')::int,
               count(*) FILTER (WHERE stale)::int
          FROM w
        """;

    public async Task<JsonObject> ReadAsync(string ns, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var drains = new NpgsqlBatchCommand(DrainsSql);
        drains.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        batch.BatchCommands.Add(drains);
        var workers = new NpgsqlBatchCommand(WorkersSql);
        workers.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        workers.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.WorkerStaleAfterSeconds });
        batch.BatchCommands.Add(workers);

        var queues = new JsonArray();
        var drainingBuilds = 0;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var builds = reader.GetInt32(1);
            drainingBuilds += builds;
            queues.Add(new JsonObject
            {
                ["task_queue"] = reader.GetString(0),
                ["draining_builds"] = builds,
                ["latest_drained_at"] = reader.IsDBNull(2) ? null : WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(2)),
            });
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new JsonObject
        {
            ["queues_with_drains"] = queues.Count,
            ["draining_builds"] = drainingBuilds,
            ["active_workers"] = reader.GetInt32(0),
            ["draining_workers"] = reader.GetInt32(1),
            ["stale_workers"] = reader.GetInt32(2),
            ["queues"] = queues,
        };
    }
}
