using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>The per-node set of committed task-queue registry rows that lets a task insert skip the registry upsert.</summary>
public sealed class KnownTaskQueuesTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IAsyncLifetime
{
    private NpgsqlDataSource dataSource = null!;
    private WakeBus wakeBus = null!;

    public Task InitializeAsync()
    {
        dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        wakeBus = new WakeBus(new InProcessCoordinationCache(TimeProvider.System), NullLogger<WakeBus>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await wakeBus.DisposeAsync();
        await dataSource.DisposeAsync();
    }

    [Fact]
    public async Task a_rolled_back_registration_teaches_nothing_and_the_next_one_writes_the_row()
    {
        await using (var rolledBack = await EngineTransaction.BeginAsync(dataSource, wakeBus, CancellationToken.None))
        {
            await TaskRows.RegisterQueueAsync(rolledBack, "default", "kq-rollback", CancellationToken.None);
        }

        var knownAfterRollback = KnownTaskQueues.Of(dataSource).Contains("default", "kq-rollback");
        await RegisterAsync(dataSource, "kq-rollback");

        Assert.False(knownAfterRollback);
        Assert.True(KnownTaskQueues.Of(dataSource).Contains("default", "kq-rollback"));
        Assert.Equal(1L, await RowsAsync("kq-rollback"));
    }

    [Fact]
    public async Task a_queue_known_on_this_node_is_not_upserted_again_but_another_node_still_writes_it()
    {
        await RegisterAsync(dataSource, "kq-known");
        await database.ExecuteAsync("DELETE FROM workflow_task_queues WHERE name = 'kq-known'");

        await RegisterAsync(dataSource, "kq-known");
        var rowsAfterKnownRegistration = await RowsAsync("kq-known");
        await using var otherNode = NpgsqlDataSource.Create(database.ConnectionString);
        await RegisterAsync(otherNode, "kq-known");

        Assert.Equal(0L, rowsAfterKnownRegistration);
        Assert.Equal(1L, await RowsAsync("kq-known"));
    }

    private async Task RegisterAsync(NpgsqlDataSource node, string queue)
    {
        await using var tx = await EngineTransaction.BeginAsync(node, wakeBus, CancellationToken.None);
        await TaskRows.RegisterQueueAsync(tx, "default", queue, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }

    private Task<long> RowsAsync(string queue) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM workflow_task_queues WHERE namespace = 'default' AND name = '{queue}'");
}
