using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Core.Storage;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Bootstrap;

/// <summary>
/// The bootstrap invariants of rollout contract §14.7, by number. Adoption here is by re-running: every script is
/// re-runnable (<c>IF NOT EXISTS</c>), so a script whose tables already exist is applied as a no-op and journaled,
/// which is what adoption guarantees (recorded, nothing changed, exit 0).
/// </summary>
public sealed class BootstrapInvariantTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task Invariant_090_091_093_ledger_created_tables_adopted_and_a_second_run_changes_nothing()
    {
        // 93: an empty database has no ledger; the first run creates it.
        Assert.Null(await database.ScalarAsync<string>($"SELECT to_regclass('{MigrationCatalog.JournalTable}')::text"));
        var first = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        Assert.Equal(0, first.ExitCode);
        Assert.NotNull(await database.ScalarAsync<string>($"SELECT to_regclass('{MigrationCatalog.JournalTable}')::text"));

        // 91: the scheduler lease table is present but its migration is not recorded (a crash between the two).
        var lease = MigrationCatalog.All.Single(m => m.Name.EndsWith("_scheduler_lease.sql", StringComparison.Ordinal)).Name;
        await database.ExecuteAsync($"INSERT INTO scheduler_leases (name, owner, token, expires_at) VALUES ('scheduler', 'kept', 7, now())");
        await database.ExecuteAsync($"DELETE FROM {MigrationCatalog.JournalTable} WHERE scriptname = '{lease}'");

        var adopted = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        Assert.Equal(0, adopted.ExitCode);
        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM {MigrationCatalog.JournalTable} WHERE scriptname = '{lease}'"));
        Assert.Equal("kept|7", await database.ScalarAsync<string>("SELECT owner || '|' || token FROM scheduler_leases"));

        // 90: running again exits 0 and leaves exactly one default namespace.
        var again = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        Assert.Equal(0, again.ExitCode);
        Assert.DoesNotContain("applying", again.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_namespaces WHERE name = 'default'"));
    }

    [Fact]
    public void Invariant_094_every_migration_is_additive_so_old_code_keeps_serving()
    {
        Assert.All(MigrationCatalog.All, m => Assert.Empty(MigrationLinter.Violations(m.Sql)));
    }
}
