using DurableWorkflow.Tests.Fixtures;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Storage;

/// <summary>
/// Lookups of one run's rows must not read the whole table: the run close's open-work check and retention's deletes
/// ask these tables by <c>run_id</c>. With sequential scans priced out, a table without an index on the column still
/// plans a sequential scan.
/// </summary>
public sealed class RunLookupIndexTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Theory]
    [InlineData("SELECT 1 FROM workflow_activity_attempts WHERE run_id = 'r' AND status = 'running'")]
    [InlineData("DELETE FROM workflow_activity_attempts WHERE run_id = 'r'")]
    [InlineData("DELETE FROM workflow_waits WHERE run_id = 'r'")]
    [InlineData("SELECT 1 FROM workflow_waits WHERE run_id = 'r' AND status = 'open'")]
    [InlineData("SELECT 1 FROM workflow_tasks WHERE run_id = 'r' AND status IN ('ready', 'leased')")]
    [InlineData("SELECT 1 FROM workflow_activity_executions WHERE run_id = 'r' AND status IN ('pending', 'running')")]
    public async Task a_lookup_by_run_uses_an_index(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        await using var reader = await explain.ExecuteReaderAsync();
        var plan = new List<string>();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }

        Assert.DoesNotContain(plan, line => line.Contains("Seq Scan", StringComparison.Ordinal));
    }
}
