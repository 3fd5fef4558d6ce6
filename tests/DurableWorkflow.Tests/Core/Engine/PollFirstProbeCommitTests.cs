using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// A poll's first probe that finds nothing is one transaction that commits once: the claim, the look for expired
/// leases and the reservation of its <c>poll_request_id</c>, all in the admission's transaction. Counted by the
/// database itself (<c>pg_stat_database</c>) on a database of this class's own that nothing else uses.
/// </summary>
public sealed class PollFirstProbeCommitTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task a_reserving_poll_against_an_empty_queue_commits_once_and_rolls_nothing_back_before_it_parks()
    {
        // Unpooled, so every backend of the server and of this test exits when its connection closes and reports its
        // transactions then; the server's background services are left out, as they would add their own.
        using var server = ServerFactory.WithRoleTokens(Unpooled, ("DW_NAMESPACE_CACHE_SECONDS", "3600"));
        server.TestServices = services =>
        {
            foreach (var own in services.Where(s => s.ServiceType == typeof(IHostedService)
                         && s.ImplementationType?.Namespace?.StartsWith("DurableWorkflow", StringComparison.Ordinal) == true).ToList())
            {
                services.Remove(own);
            }
        };
        using var harness = await WorkflowHarness.CreateAsync(server);
        await ExecuteAsync(
            """
            DO $$
            DECLARE t regclass;
            BEGIN
              FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
                EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)', t);
              END LOOP;
            END $$
            """);

        // The migrations' pooled connections would stay connected.
        await using (var bootstrapped = new NpgsqlConnection(database.ConnectionString))
        {
            NpgsqlConnection.ClearPool(bootstrapped);
        }

        // Autovacuum's workers commit in pg_stat_database too, and one may visit this database inside a window (its
        // tables are left out, the catalogs cannot be): of two windows, at least one must show exactly the poll's work.
        var windows = new List<(long Sessions, long Commits, long Rollbacks)>();
        for (var round = 1; round <= 2; round++)
        {
            windows.Add(await ParkOneAsync(harness, $"first-probe-commits-{round}"));
        }

        // Every backend's start-up is a transaction of its own, counted as a commit: one connection, then one commit.
        Assert.True(windows.Any(w => w == (1, 1, 0)), $"(connections, commits, rollbacks) per window: {string.Join(", ", windows)}");
    }

    /// <summary>
    /// Parks one reserving poll and counts what its first probe did, then starts a workflow and checks the parked poll
    /// gets that run and its reservation ends completed with that task.
    /// </summary>
    private async Task<(long Sessions, long Commits, long Rollbacks)> ParkOneAsync(WorkflowHarness harness, string pollRequestId)
    {
        // The watcher reads the reservation inside one open transaction, which counts only when it ends, after the window.
        await using var watcher = new NpgsqlConnection(Unpooled);
        await watcher.OpenAsync();
        await using var watching = await watcher.BeginTransactionAsync();
        var before = await TransactionsAsync();

        var poll = harness.WorkerPostAsync("/api/worker/workflow-tasks/poll", new JsonObject
        {
            ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["poll_request_id"] = pollRequestId, ["timeout_seconds"] = 30,
        }, HttpStatusCode.OK);
        await WaitForReservationAsync(watcher, pollRequestId);
        var parked = await TransactionsAsync();

        var started = await harness.StartAsync();
        var answer = await poll;
        Assert.Equal((string?)started["run_id"], (string?)answer["task"]!["run_id"]);
        await watching.RollbackAsync();
        Assert.Equal((string?)answer["task"]!["task_id"],
            (string?)await ScalarAsync($"SELECT task_id FROM workflow_poll_requests WHERE poll_request_id = '{pollRequestId}' AND status = 'completed'"));

        var sessions = parked.Sessions - before.Sessions;
        return (sessions, parked.Commits - before.Commits - sessions, parked.Rollbacks - before.Rollbacks);
    }

    private string Unpooled => new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString;

    private async Task ExecuteAsync(string sql) => await ScalarAsync(sql);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// This database's transaction and session counters once no backend of it is left but the watcher's: a backend
    /// reports its transactions before it leaves <c>pg_stat_database.numbackends</c>. Read from the admin database, so the reads
    /// themselves count there.
    /// </summary>
    private async Task<(long Commits, long Rollbacks, long Sessions)> TransactionsAsync()
    {
        await using var admin = new NpgsqlConnection(TestEnvironment.PostgresAdminConnection);
        await admin.OpenAsync();
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", admin))
            {
                await clear.ExecuteNonQueryAsync();
            }

            await using var read = new NpgsqlCommand("SELECT xact_commit, xact_rollback, numbackends, sessions FROM pg_stat_database WHERE datname = $1", admin);
            read.Parameters.Add(new NpgsqlParameter { Value = database.Name });
            await using var reader = await read.ExecuteReaderAsync();
            await reader.ReadAsync();
            if (reader.GetInt32(2) == 1)
            {
                return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(3));
            }

            var backends = reader.GetInt32(2);
            await reader.CloseAsync();
            await using var who = new NpgsqlCommand(
                "SELECT string_agg(concat_ws(' | ', backend_type, application_name, state, left(query, 120)), E'\n') FROM pg_stat_activity WHERE datname = $1", admin);
            who.Parameters.Add(new NpgsqlParameter { Value = database.Name });
            Assert.True(DateTime.UtcNow < deadline, $"{backends} backends still connected to the test database:\n{await who.ExecuteScalarAsync()}");
            await Task.Delay(20);
        }
    }

    private static async Task WaitForReservationAsync(NpgsqlConnection watcher, string pollRequestId)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            await using var read = new NpgsqlCommand("SELECT count(*) FROM workflow_poll_requests WHERE poll_request_id = $1 AND status = 'pending'", watcher);
            read.Parameters.Add(new NpgsqlParameter { Value = pollRequestId });
            if ((long)(await read.ExecuteScalarAsync())! == 1)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"poll {pollRequestId} never reserved its key");
            await Task.Delay(20);
        }
    }
}
