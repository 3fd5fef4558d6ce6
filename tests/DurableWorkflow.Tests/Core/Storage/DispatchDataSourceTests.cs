using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Fixtures;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Storage;

/// <summary>
/// Poll connections keep the claim on its index walk and its run lookup by key when the statistics describe another
/// moment: the traps a queue table sets, where the planner, told the backlog is small or that few runs are open, sorts
/// the backlog to take its first task or joins it to a materialised scan of every run.
/// </summary>
public sealed class DispatchDataSourceTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    private const int Runs = 6000;
    private const string Queue = "dispatch-plan-5d0c2b8e61f94f0e9a7b3c41d2e8f6a7";

    /// <summary>The claim's ordered pick of a ready task of an open run, as the claims write it.</summary>
    private static readonly string Pick =
        $"""
        SELECT t.id FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
         WHERE {DueTaskSql.DueOnQueue("workflow", "'default'", $"'{Queue}'")} AND r.status IN ('pending', 'running', 'waiting')
         ORDER BY {DueTaskSql.ClaimOrder}
         LIMIT 1
           FOR UPDATE OF t SKIP LOCKED
           FOR NO KEY UPDATE OF r SKIP LOCKED
        """;

    /// <summary>The same pick with the namespace and the queue as parameters, as the engine sends it prepared.</summary>
    private static readonly string PreparedPick =
        $"""
        SELECT t.id FROM workflow_tasks t JOIN workflow_runs r ON r.id = t.run_id
         WHERE {DueTaskSql.DueOnQueue("workflow", "$1", "$2")} AND r.status IN ('pending', 'running', 'waiting')
         ORDER BY {DueTaskSql.ClaimOrder}
         LIMIT 1
           FOR UPDATE OF t SKIP LOCKED
           FOR NO KEY UPDATE OF r SKIP LOCKED
        """;

    [Fact]
    public async Task dispatch_sessions_start_with_sorts_and_materialised_rescans_priced_out_without_jit_and_with_generic_plans()
    {
        await using var dispatch = new DispatchDataSource(database.ConnectionString);
        await using var connection = await dispatch.Connections.OpenConnectionAsync();

        Assert.Equal("off", await ScalarAsync(connection, "SHOW enable_sort"));
        Assert.Equal("off", await ScalarAsync(connection, "SHOW enable_material"));
        Assert.Equal("off", await ScalarAsync(connection, "SHOW jit"));
        Assert.Equal("force_generic_plan", await ScalarAsync(connection, "SHOW plan_cache_mode"));
    }

    [Fact]
    public async Task a_dispatch_session_runs_a_prepared_claim_on_its_generic_plan_where_a_plain_session_replans_it_for_each_early_call()
    {
        await using var plain = new NpgsqlConnection(database.ConnectionString);
        await plain.OpenAsync();
        await using var dispatch = new DispatchDataSource(database.ConnectionString);
        await using var connection = await dispatch.Connections.OpenConnectionAsync();

        var plainPlans = await PlansOfRepeatedPickAsync(plain, 8);
        var dispatchPlans = await PlansOfRepeatedPickAsync(connection, 8);

        Assert.True(plainPlans.Custom >= 5, $"a plain session planned {plainPlans.Custom} of 8 calls for their parameters");
        Assert.Equal((0L, 8L), dispatchPlans);
    }

    [Theory]
    [InlineData(20, 0, 14, 6)]
    [InlineData(7, 6, 5, 2)]
    [InlineData(1, 1, 1, 1)]
    public void the_node_connection_budget_is_split_between_polls_and_the_rest(int budget, int minimum, int main, int dispatch)
    {
        var (mainConnection, dispatchConnection) = DispatchDataSource.Split($"Host=db;Maximum Pool Size={budget};Minimum Pool Size={minimum}");
        var mainPool = new NpgsqlConnectionStringBuilder(mainConnection);
        var dispatchPool = new NpgsqlConnectionStringBuilder(dispatchConnection);

        Assert.Equal((main, dispatch), (mainPool.MaxPoolSize, dispatchPool.MaxPoolSize));
        Assert.Equal(Math.Min(minimum, main), mainPool.MinPoolSize);
        Assert.Equal(Math.Min(minimum, dispatch), dispatchPool.MinPoolSize);
        Assert.Null(mainPool.Options);
    }

    [Fact]
    public async Task the_operators_own_options_are_kept_and_win_on_the_same_setting()
    {
        var operatorValue = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Options = "-c jit=on -c statement_timeout=4321" };
        await using var dispatch = new DispatchDataSource(operatorValue.ConnectionString);
        await using var connection = await dispatch.Connections.OpenConnectionAsync();

        Assert.Equal("off", await ScalarAsync(connection, "SHOW enable_sort"));
        Assert.Equal("on", await ScalarAsync(connection, "SHOW jit"));
        Assert.Equal("4321ms", await ScalarAsync(connection, "SHOW statement_timeout"));
    }

    [Fact]
    public async Task under_statistics_of_another_moment_a_dispatch_session_walks_the_ready_index_and_finds_each_run_by_key()
    {
        // A queue's history: 6 000 runs, all but the last ten closed, when autovacuum analysed workflow_runs; a burst then
        // made a thousand tasks ready, and workflow_tasks was analysed during it; their runs opened after that (autovacuum
        // is off here so nothing analyses in between).
        await using var setup = new NpgsqlConnection(database.ConnectionString);
        await setup.OpenAsync();
        await ExecuteAsync(setup,
            $"""
            ALTER TABLE workflow_runs SET (autovacuum_enabled = false);
            ALTER TABLE workflow_tasks SET (autovacuum_enabled = false);
            INSERT INTO workflow_instances (id, namespace, workflow_type)
            SELECT 'i' || n, 'default', 'plan.test' FROM generate_series(1, {Runs}) n;
            INSERT INTO workflow_runs (id, namespace, run_number, task_queue, workflow_instance_id, workflow_type, status)
            SELECT 'r' || n, 'default', 1, '{Queue}', 'i' || n, 'plan.test', CASE WHEN n > {Runs - 10} THEN 'running' ELSE 'completed' END
              FROM generate_series(1, {Runs}) n;
            INSERT INTO workflow_tasks (id, namespace, run_id, task_queue, task_type, workflow_type, status, available_at)
            SELECT 't' || n, 'default', 'r' || n, '{Queue}', 'workflow', 'plan.test', CASE WHEN n > {Runs - 10} THEN 'ready' ELSE 'completed' END,
                   now() - interval '1 hour' + n * interval '1 ms'
              FROM generate_series(1, {Runs}) n;
            """);
        await ExecuteAsync(setup, "VACUUM ANALYZE workflow_instances, workflow_runs");
        await ExecuteAsync(setup,
            $"UPDATE workflow_tasks SET status = 'ready', available_at = now() - interval '1 minute' WHERE id IN (SELECT 't' || n FROM generate_series({Runs - 1000}, {Runs - 10}) n)");
        await ExecuteAsync(setup, "VACUUM ANALYZE workflow_tasks");
        await ExecuteAsync(setup, $"UPDATE workflow_runs SET status = 'running' WHERE id IN (SELECT 'r' || n FROM generate_series({Runs - 1000}, {Runs - 10}) n)");

        await using var plain = new NpgsqlConnection(database.ConnectionString);
        await plain.OpenAsync();
        var plainPlan = await PlanAsync(plain);
        await using var sortsOnly = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Options = "-c enable_sort=off -c jit=off" }.ConnectionString);
        await sortsOnly.OpenAsync();
        var sortsOnlyPlan = await PlanAsync(sortsOnly);
        await using var dispatch = new DispatchDataSource(database.ConnectionString);
        await using var connection = await dispatch.Connections.OpenConnectionAsync();
        var dispatchPlan = await PlanAsync(connection);

        Assert.Contains("Sort", plainPlan, StringComparison.Ordinal);
        Assert.Contains("Seq Scan on workflow_runs", sortsOnlyPlan, StringComparison.Ordinal);
        AssertWalksClaimIndexFindingRunsByKey(dispatchPlan);

        // The generic plan a dispatch session runs the prepared claim with, for any namespace and queue, is the same walk.
        await ExecuteAsync(connection, $"PREPARE generic_pick(text, text) AS {PreparedPick}");
        var genericPlan = await ExplainAsync(connection, $"EXPLAIN EXECUTE generic_pick('default', '{Queue}')");
        Assert.Contains("$2", genericPlan, StringComparison.Ordinal);
        AssertWalksClaimIndexFindingRunsByKey(genericPlan);
    }

    private static void AssertWalksClaimIndexFindingRunsByKey(string plan)
    {
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Materialize", plan, StringComparison.Ordinal);
        Assert.Contains("workflow_tasks_ready_claim_idx", plan, StringComparison.Ordinal);
        Assert.Contains("workflow_runs_pkey", plan, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the prepared pick <paramref name="calls"/> times, then reads how often the session planned it for the call's
    /// parameters (custom) and how often it ran the plan it keeps for any parameters (generic).
    /// </summary>
    private static async Task<(long Custom, long Generic)> PlansOfRepeatedPickAsync(NpgsqlConnection connection, int calls)
    {
        await using var tx = await connection.BeginTransactionAsync();
        await using var pick = new NpgsqlCommand(PreparedPick, connection, tx);
        pick.Parameters.Add(new NpgsqlParameter { Value = "default" });
        pick.Parameters.Add(new NpgsqlParameter { Value = Queue });
        await pick.PrepareAsync();
        for (var i = 0; i < calls; i++)
        {
            await pick.ExecuteScalarAsync();
        }

        await using var read = new NpgsqlCommand(
            "SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%FOR NO KEY UPDATE OF r SKIP LOCKED%'",
            connection, tx);
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the pick is a prepared statement of the session");
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static Task<string> PlanAsync(NpgsqlConnection connection) => ExplainAsync(connection, "EXPLAIN " + Pick);

    /// <summary>The plan's lines, explained inside a transaction as a claim runs (its row locks need one).</summary>
    private static async Task<string> ExplainAsync(NpgsqlConnection connection, string explain)
    {
        await using var tx = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(explain, connection, tx);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
