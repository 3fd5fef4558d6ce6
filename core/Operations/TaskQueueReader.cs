using System.Globalization;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// <c>GET /api/task-queues</c> and <c>GET /api/task-queues/{q}</c> (control-plane §8.1–8.2, rollout contract §6.5): per
/// queue the task counts, the repair view, the pollers and the per-kind admission view. One batch per request, so every
/// figure is taken at the same database instant; read-only. Any queue name can be described: an unknown one has zero
/// counts.
/// </summary>
public sealed class TaskQueueReader(NpgsqlDataSource dataSource, ServerSettings settings)
{
    /// <summary>Most current leases one describe lists (oldest expiry first).</summary>
    public const int CurrentLeaseLimit = 100;

    private const string QueuesSql = "SELECT name FROM workflow_task_queues WHERE namespace = $1 ORDER BY name";

    // The repair predicates are those of the operator metrics (rollout contract §8.3), exclusive in the order dispatch
    // failed, overdue, so a task counts once among the candidates.
    private const string TasksSql =
        """
        WITH t AS (
            SELECT task_queue, task_type, status, available_at, created_at, lease_expires_at, last_dispatched_at,
                   last_dispatch_attempt_at,
                   (status = 'ready' AND last_dispatch_attempt_at IS NOT NULL
                    AND btrim(COALESCE(last_dispatch_error, '')) <> ''
                    AND (last_dispatched_at IS NULL OR last_dispatched_at < last_dispatch_attempt_at)) AS dispatch_failed
              FROM workflow_tasks
             WHERE namespace = $1 AND task_queue = ANY($2) AND status IN ('ready', 'leased')
               AND task_type IN ('workflow', 'activity')
        ), f AS (
            SELECT *, (status = 'ready' AND available_at <= now() AND NOT dispatch_failed
                       AND COALESCE(last_dispatched_at, created_at) <= now() - make_interval(secs => $3)) AS overdue,
                      (status = 'leased' AND lease_expires_at <= now()) AS expired
              FROM t
        )
        SELECT task_queue,
               count(*) FILTER (WHERE task_type = 'workflow' AND status = 'ready')::int,
               count(*) FILTER (WHERE task_type = 'workflow' AND status = 'leased')::int,
               count(*) FILTER (WHERE task_type = 'workflow' AND expired)::int,
               count(*) FILTER (WHERE task_type = 'activity' AND status = 'ready')::int,
               count(*) FILTER (WHERE task_type = 'activity' AND status = 'leased')::int,
               count(*) FILTER (WHERE task_type = 'activity' AND expired)::int,
               count(*) FILTER (WHERE dispatch_failed)::int,
               min(last_dispatch_attempt_at) FILTER (WHERE dispatch_failed),
               min(lease_expires_at) FILTER (WHERE expired),
               count(*) FILTER (WHERE overdue)::int,
               min(COALESCE(last_dispatched_at, created_at)) FILTER (WHERE overdue)
          FROM f
         GROUP BY task_queue
        """;

    private const string OldestReadySql =
        """
        SELECT DISTINCT ON (t.task_queue) t.task_queue, t.id, t.task_type, r.workflow_instance_id, t.run_id, t.available_at
          FROM workflow_tasks t
          JOIN workflow_runs r ON r.id = t.run_id
         WHERE t.namespace = $1 AND t.task_queue = ANY($2) AND t.status = 'ready' AND t.available_at <= now()
           AND t.task_type IN ('workflow', 'activity')
         ORDER BY t.task_queue, t.available_at, t.id
        """;

    // Task-queue pollers are stale when last_heartbeat_at + W <= now (inclusive, rollout contract §6.2); a registration
    // that never heartbeated is never stale.
    private const string PollersSql =
        """
        SELECT task_queue, worker_id, runtime, sdk_version, build_id, last_heartbeat_at,
               last_heartbeat_at + make_interval(secs => $3),
               COALESCE(last_heartbeat_at + make_interval(secs => $3) <= now(), false),
               status, supported_workflow_types::text, supported_activity_types::text,
               max_concurrent_workflow_tasks, max_concurrent_activity_tasks
          FROM workflow_worker_registrations
         WHERE namespace = $1 AND task_queue = ANY($2)
         ORDER BY task_queue, worker_id
        """;

    private const string QueryTasksSql =
        """
        SELECT task_queue, count(*)::int
          FROM workflow_query_tasks
         WHERE namespace = $1 AND task_queue = ANY($2) AND status = 'pending'
         GROUP BY task_queue
        """;

    private const string NamespaceLeasesSql =
        """
        SELECT count(*) FILTER (WHERE task_type = 'workflow')::int, count(*) FILTER (WHERE task_type = 'activity')::int
          FROM workflow_tasks
         WHERE namespace = $1 AND status = 'leased' AND lease_expires_at > now()
        """;

    private const string CurrentLeasesSql =
        """
        SELECT t.id, t.task_type, r.workflow_instance_id, t.run_id, t.lease_owner, t.lease_expires_at,
               t.lease_expires_at <= now(), t.attempt_count, t.activity_attempt_id, a.attempt_number
          FROM workflow_tasks t
          JOIN workflow_runs r ON r.id = t.run_id
          LEFT JOIN workflow_activity_attempts a ON a.id = t.activity_attempt_id
         WHERE t.namespace = $1 AND t.task_queue = ANY($2) AND t.status = 'leased'
           AND t.task_type IN ('workflow', 'activity')
         ORDER BY t.lease_expires_at, t.id
         LIMIT $3
        """;

    public async Task<JsonObject> ListAsync(string ns, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var names = new List<string>();
        await using (var command = new NpgsqlCommand(QueuesSql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }

        var views = await ReadAsync(connection, ns, names, withLeases: false, cancellationToken);
        var queues = new JsonArray();
        foreach (var name in names)
        {
            var view = views[name];
            queues.Add(new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["stats"] = view.Stats,
                ["repair"] = view.Repair,
                ["admission"] = view.Admission,
            });
        }

        return new JsonObject { ["namespace"] = ns, ["task_queues"] = queues };
    }

    public async Task<JsonObject> DescribeAsync(string ns, string queue, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var view = (await ReadAsync(connection, ns, [queue], withLeases: true, cancellationToken))[queue];
        return new JsonObject
        {
            ["name"] = queue,
            ["namespace"] = ns,
            ["pollers"] = view.Pollers,
            ["stats"] = view.Stats,
            ["current_leases"] = view.Leases,
            ["repair"] = view.Repair,
            ["admission"] = view.Admission,
        };
    }

    private async Task<Dictionary<string, QueueView>> ReadAsync(
        NpgsqlConnection connection, string ns, IReadOnlyList<string> queues, bool withLeases, CancellationToken cancellationToken)
    {
        var redispatchAfter = settings.TaskRepairRedispatchAfterSeconds;
        var names = queues.ToArray();
        var accumulators = queues.Distinct(StringComparer.Ordinal).ToDictionary(q => q, _ => new QueueAccumulator(), StringComparer.Ordinal);

        // One batch runs in one implicit transaction, so now() is the same instant in every statement.
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT now()"));
        batch.BatchCommands.Add(Command(TasksSql, ns, names, redispatchAfter));
        batch.BatchCommands.Add(Command(OldestReadySql, ns, names));
        batch.BatchCommands.Add(Command(PollersSql, ns, names, settings.WorkerStaleAfterSeconds));
        batch.BatchCommands.Add(Command(QueryTasksSql, ns, names));
        batch.BatchCommands.Add(Command(NamespaceLeasesSql, ns));
        if (withLeases)
        {
            batch.BatchCommands.Add(Command(CurrentLeasesSql, ns, names, CurrentLeaseLimit));
        }

        DateTimeOffset now;
        int namespaceWorkflowLeases, namespaceActivityLeases;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            now = reader.GetFieldValue<DateTimeOffset>(0);

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var a = accumulators[reader.GetString(0)];
                a.WorkflowReady = reader.GetInt32(1);
                a.WorkflowLeased = reader.GetInt32(2);
                a.WorkflowExpired = reader.GetInt32(3);
                a.ActivityReady = reader.GetInt32(4);
                a.ActivityLeased = reader.GetInt32(5);
                a.ActivityExpired = reader.GetInt32(6);
                a.DispatchFailed = reader.GetInt32(7);
                a.OldestDispatchFailed = Time(reader, 8);
                a.OldestExpired = Time(reader, 9);
                a.DispatchOverdue = reader.GetInt32(10);
                a.OldestOverdue = Time(reader, 11);
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var availableAt = reader.GetFieldValue<DateTimeOffset>(5);
                accumulators[reader.GetString(0)].OldestReady = new JsonObject
                {
                    ["task_id"] = reader.GetString(1),
                    ["task_type"] = reader.GetString(2),
                    ["workflow_id"] = reader.GetString(3),
                    ["run_id"] = reader.GetString(4),
                    ["available_at"] = WireTime.Micro(availableAt),
                    ["age_seconds"] = AgeSeconds(availableAt, now),
                };
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                accumulators[reader.GetString(0)].Pollers.Add(ReadPoller(reader));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                accumulators[reader.GetString(0)].PendingQueries = reader.GetInt32(1);
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            namespaceWorkflowLeases = reader.GetInt32(0);
            namespaceActivityLeases = reader.GetInt32(1);

            if (withLeases)
            {
                await reader.NextResultAsync(cancellationToken);
                var a = accumulators[queues[0]];
                while (await reader.ReadAsync(cancellationToken))
                {
                    a.Leases.Add(ReadLease(reader));
                }
            }
        }

        return accumulators.ToDictionary(
            p => p.Key,
            p => Build(p.Value, now, namespaceWorkflowLeases, namespaceActivityLeases),
            StringComparer.Ordinal);
    }

    private QueueView Build(QueueAccumulator a, DateTimeOffset now, int namespaceWorkflowLeases, int namespaceActivityLeases)
    {
        var pollers = a.Pollers;
        var live = pollers.Where(p => !p.IsStale).ToList();
        var oldestAge = a.OldestReady is null ? (long?)null : (long)a.OldestReady["age_seconds"]!;
        var stats = new JsonObject
        {
            ["approximate_backlog_count"] = a.WorkflowReady + a.ActivityReady,
            ["approximate_backlog_age"] = oldestAge is { } age ? AgeLabel(age) : null,
            ["approximate_backlog_age_seconds"] = oldestAge,
            ["oldest_ready_task"] = a.OldestReady,
            ["workflow_tasks"] = new JsonObject
            {
                ["ready_count"] = a.WorkflowReady,
                ["leased_count"] = a.WorkflowLeased,
                ["expired_lease_count"] = a.WorkflowExpired,
            },
            ["activity_tasks"] = new JsonObject
            {
                ["ready_count"] = a.ActivityReady,
                ["leased_count"] = a.ActivityLeased,
                ["expired_lease_count"] = a.ActivityExpired,
            },
            ["pollers"] = new JsonObject
            {
                ["active_count"] = live.Count(p => p.Status == "active"),
                ["draining_count"] = live.Count(p => p.Status == "draining"),
                ["stale_count"] = pollers.Count - live.Count,
                ["stale_after_seconds"] = settings.WorkerStaleAfterSeconds,
            },
        };

        var candidates = a.DispatchFailed + a.WorkflowExpired + a.ActivityExpired + a.DispatchOverdue;
        var repair = new JsonObject { ["candidates"] = candidates, ["dispatch_failed"] = a.DispatchFailed };
        AddAge(repair, "oldest_dispatch_failed_at", "max_dispatch_failed_age_ms", a.OldestDispatchFailed, now);
        repair["expired_leases"] = a.WorkflowExpired + a.ActivityExpired;
        AddAge(repair, "oldest_lease_expired_at", "max_lease_expired_age_ms", a.OldestExpired, now);
        repair["dispatch_overdue"] = a.DispatchOverdue;
        AddAge(repair, "oldest_dispatch_overdue_since", "max_dispatch_overdue_age_ms", a.OldestOverdue, now);
        repair["needs_attention"] = candidates > 0;
        repair["policy"] = new JsonObject { ["redispatch_after_seconds"] = settings.TaskRepairRedispatchAfterSeconds };

        var admission = new JsonObject
        {
            ["workflow_tasks"] = TaskAdmission.Describe(
                TaskAdmission.WorkflowKind, pollers, a.WorkflowReady, a.WorkflowLeased, a.WorkflowLeased - a.WorkflowExpired, namespaceWorkflowLeases),
            ["activity_tasks"] = TaskAdmission.Describe(
                TaskAdmission.ActivityKind, pollers, a.ActivityReady, a.ActivityLeased, a.ActivityLeased - a.ActivityExpired, namespaceActivityLeases),
            ["query_tasks"] = QueryAdmission(a.PendingQueries),
        };

        return new QueueView(
            stats,
            repair,
            admission,
            new JsonArray([.. pollers.Select(p => (JsonNode)p.Json)]),
            new JsonArray([.. a.Leases]));
    }

    /// <summary>
    /// The pending-query cap is counted in PostgreSQL when a query is accepted (no cache lock), so the view never reports
    /// <c>unavailable</c>.
    /// </summary>
    private JsonObject QueryAdmission(int pending)
    {
        var max = settings.QueryTaskMaxPendingPerQueue;
        return new JsonObject
        {
            ["budget_source"] = "server.query_tasks.max_pending_per_queue",
            ["max_pending_per_queue"] = max,
            ["approximate_pending_count"] = pending,
            ["remaining_pending_capacity"] = Math.Max(0, max - pending),
            ["lock_required"] = false,
            ["lock_supported"] = true,
            ["status"] = pending >= max ? "full" : "accepting",
        };
    }

    private static TaskQueuePoller ReadPoller(NpgsqlDataReader reader)
    {
        var stale = reader.GetBoolean(7);
        var storedStatus = reader.GetString(8);
        var status = stale ? "stale" : storedStatus;
        var json = new JsonObject
        {
            ["worker_id"] = reader.GetString(1),
            ["runtime"] = reader.GetString(2),
            ["sdk_version"] = reader.IsDBNull(3) ? null : reader.GetString(3),
            ["build_id"] = reader.IsDBNull(4) ? null : reader.GetString(4),
            ["last_heartbeat_at"] = reader.IsDBNull(5) ? null : WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(5)),
            ["heartbeat_expires_at"] = reader.IsDBNull(6) ? null : WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(6)),
            ["status"] = status,
            ["is_stale"] = stale,
            ["supported_workflow_types"] = JsonNode.Parse(reader.GetString(9)),
            ["supported_activity_types"] = JsonNode.Parse(reader.GetString(10)),
            ["max_concurrent_workflow_tasks"] = reader.GetInt32(11),
            ["max_concurrent_activity_tasks"] = reader.GetInt32(12),
        };
        return new TaskQueuePoller(json, status, stale, reader.GetInt32(11), reader.GetInt32(12));
    }

    private static JsonObject ReadLease(NpgsqlDataReader reader)
    {
        var workflow = reader.GetString(1) == "workflow";
        var lease = new JsonObject
        {
            ["task_id"] = reader.GetString(0),
            ["task_type"] = reader.GetString(1),
            ["workflow_id"] = reader.GetString(2),
            ["run_id"] = reader.GetString(3),
            ["lease_owner"] = reader.IsDBNull(4) ? null : reader.GetString(4),
            ["lease_expires_at"] = reader.IsDBNull(5) ? null : WireTime.Micro(reader.GetFieldValue<DateTimeOffset>(5)),
            ["is_expired"] = !reader.IsDBNull(6) && reader.GetBoolean(6),
        };
        if (workflow)
        {
            lease["workflow_task_attempt"] = reader.GetInt32(7);
        }
        else
        {
            lease["activity_attempt_id"] = reader.IsDBNull(8) ? null : reader.GetString(8);
            lease["attempt_number"] = reader.IsDBNull(9) ? null : reader.GetInt32(9);
        }

        return lease;
    }

    /// <summary><c>"45s"</c>, <c>"3m05s"</c>, <c>"2h03m05s"</c> (control-plane §8.1).</summary>
    internal static string AgeLabel(long seconds) => seconds switch
    {
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds}s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{seconds % 60:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h{seconds % 3600 / 60:00}m{seconds % 60:00}s"),
    };

    private static long AgeSeconds(DateTimeOffset since, DateTimeOffset now) => Math.Max(0, (long)Math.Floor((now - since).TotalSeconds));

    private static void AddAge(JsonObject block, string oldestKey, string ageKey, DateTimeOffset? oldest, DateTimeOffset now)
    {
        block[oldestKey] = oldest is { } o ? WireTime.Micro(o) : null;
        block[ageKey] = OperatorMetricsReader.AgeMs(oldest, now);
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static NpgsqlBatchCommand Command(string sql, string ns, string[]? queues = null, int? number = null)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        if (queues is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = queues });
        }

        if (number is { } value)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = value });
        }

        return command;
    }

    private sealed record QueueView(JsonObject Stats, JsonObject Repair, JsonObject Admission, JsonArray Pollers, JsonArray Leases);

    private sealed class QueueAccumulator
    {
        public int WorkflowReady { get; set; }

        public int WorkflowLeased { get; set; }

        public int WorkflowExpired { get; set; }

        public int ActivityReady { get; set; }

        public int ActivityLeased { get; set; }

        public int ActivityExpired { get; set; }

        public int DispatchFailed { get; set; }

        public DateTimeOffset? OldestDispatchFailed { get; set; }

        public DateTimeOffset? OldestExpired { get; set; }

        public int DispatchOverdue { get; set; }

        public DateTimeOffset? OldestOverdue { get; set; }

        public JsonObject? OldestReady { get; set; }

        public int PendingQueries { get; set; }

        public List<TaskQueuePoller> Pollers { get; } = [];

        public List<JsonNode?> Leases { get; } = [];
    }
}
