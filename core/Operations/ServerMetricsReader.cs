using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The bounded server metrics of <c>GET /api/system/metrics</c> (control-plane §10.1): consecutive workflow-task
/// failures per workflow type, limited to a bounded series, and projection drift. Read-only.
/// </summary>
public sealed class ServerMetricsReader(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    /// <summary>Upstream's <c>DW_METRICS_WORKFLOW_TASK_FAILURE_TYPE_LIMIT</c> default; not yet configurable here.</summary>
    public const int WorkflowTypeLimit = 20;

    // A failed workflow task stays open and is retried with its attempt count raised, so an open task that has
    // failed at least once carries its consecutive failures in attempt_count.
    private const string FailuresSql =
        """
        SELECT now(), workflow_type, max(attempt_count)::int, count(*)::int
          FROM workflow_tasks
         WHERE namespace = $1 AND task_type = 'workflow' AND status IN ('ready', 'leased') AND last_failed_at IS NOT NULL
         GROUP BY workflow_type
         ORDER BY max(attempt_count) DESC, workflow_type
        """;

    public async Task<JsonObject> ReadAsync(string ns, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FailuresSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        var series = new List<(string Type, int Max, int Count)>();
        DateTimeOffset? now = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                now ??= reader.GetFieldValue<DateTimeOffset>(0);
                series.Add((reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3)));
            }
        }

        var shown = series.Take(WorkflowTypeLimit).ToList();
        var suppressed = series.Skip(WorkflowTypeLimit).ToList();
        var failuresPolicy = new JsonObject
        {
            ["namespace"] = "request_scope_not_label",
            ["workflow_type"] = new JsonObject
            {
                ["cardinality_class"] = "bounded_series",
                ["limit"] = WorkflowTypeLimit,
                ["selection"] = "top_by_max_consecutive_failures_then_name",
            },
        };
        var driftPolicy = new JsonObject
        {
            ["namespace"] = "server_scope_no_label",
            ["table"] = new JsonObject
            {
                ["cardinality_class"] = "finite_projection_table_inventory",
                ["values"] = new JsonArray([.. OperatorProjections.Tables.Select(t => (JsonNode?)t)]),
                ["selection"] = "fixed_projection_table_inventory",
            },
        };

        // Run reads come from the run rows themselves, so no projection table can drift (see OperatorProjections).
        var byTable = new JsonArray([.. OperatorProjections.Tables.Select(t => (JsonNode?)new JsonObject { ["table"] = t, ["needs_rebuild"] = 0 })]);
        return new JsonObject
        {
            ["generated_at"] = WireTime.Micro(now ?? timeProvider.GetUtcNow()),
            ["namespace"] = ns,
            ["metrics"] = new JsonObject
            {
                ["dw_workflow_task_consecutive_failures"] = new JsonObject
                {
                    ["max_consecutive_failures"] = series.Count == 0 ? 0 : series.Max(s => s.Max),
                    ["failed_task_count"] = series.Sum(s => s.Count),
                    ["workflow_type_count"] = series.Count,
                    ["workflow_type_limit"] = WorkflowTypeLimit,
                    ["workflow_types_truncated"] = suppressed.Count > 0,
                    ["suppressed_workflow_type_count"] = suppressed.Count,
                    ["suppressed_failed_task_count"] = suppressed.Sum(s => s.Count),
                    ["label_cardinality_policy"] = failuresPolicy.DeepClone(),
                    ["by_workflow_type"] = new JsonArray([.. shown.Select(s => (JsonNode?)new JsonObject
                    {
                        ["workflow_type"] = s.Type,
                        ["max_consecutive_failures"] = s.Max,
                        ["failed_task_count"] = s.Count,
                    })]),
                },
                ["dw_projection_drift_total"] = new JsonObject
                {
                    ["total"] = 0,
                    ["table_count"] = OperatorProjections.Tables.Count,
                    ["tables_with_drift"] = 0,
                    ["scope"] = "server",
                    ["label_cardinality_policy"] = driftPolicy.DeepClone(),
                    ["by_table"] = byTable,
                },
            },
            ["cardinality"] = new JsonObject
            {
                ["metric_label_sets"] = new JsonObject
                {
                    ["dw_workflow_task_consecutive_failures"] = failuresPolicy,
                    ["dw_projection_drift_total"] = driftPolicy,
                },
            },
        };
    }
}
