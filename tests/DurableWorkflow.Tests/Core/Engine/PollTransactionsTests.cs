using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>The poll's admission transaction is its first claim's; later claims get their own; an untaken one rolls back.</summary>
public sealed class PollTransactionsTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IAsyncLifetime
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
    public async Task the_first_claim_continues_the_admission_transaction_and_later_claims_begin_their_own()
    {
        await using var transactions = new PollTransactions(dataSource, wakeBus);
        var admission = await transactions.BeginFirstAsync(CancellationToken.None);
        var admissionBackend = await BackendAsync(admission);

        await using var first = await transactions.TakeAsync(CancellationToken.None);
        var firstXid = await XidAsync(first);
        await using var second = await transactions.TakeAsync(CancellationToken.None);

        Assert.Same(admission, first);
        Assert.Equal(admissionBackend, await BackendAsync(first));
        Assert.Equal(firstXid, await XidAsync(admission));
        Assert.NotSame(first, second);
        Assert.NotEqual(firstXid, await XidAsync(second));
    }

    [Fact]
    public async Task an_admission_transaction_no_claim_took_is_rolled_back_on_disposal()
    {
        await database.ExecuteAsync("CREATE TABLE IF NOT EXISTS poll_tx_probe (n int)");
        await using (var transactions = new PollTransactions(dataSource, wakeBus))
        {
            var admission = await transactions.BeginFirstAsync(CancellationToken.None);
            await using var insert = admission.Command("INSERT INTO poll_tx_probe VALUES (1)");
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM poll_tx_probe"));
    }

    private static async Task<int> BackendAsync(EngineTransaction tx)
    {
        await using var command = tx.Command("SELECT pg_backend_pid()");
        return (int)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> XidAsync(EngineTransaction tx)
    {
        await using var command = tx.Command("SELECT txid_current()");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
