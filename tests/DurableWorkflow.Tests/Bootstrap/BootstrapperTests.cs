using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Bootstrap;

public sealed class BootstrapperTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task second_run_applies_nothing_and_leaves_one_default_namespace()
    {
        var first = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        var second = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("applying 0001_namespaces.sql", first.Output, StringComparison.Ordinal);
        Assert.Contains("Seed: created namespace 'default'", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Migrations: up to date.", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("applying", second.Output, StringComparison.Ordinal);
        Assert.Contains("already present", second.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_namespaces WHERE name = 'default'"));
        Assert.Equal((long)MigrationCatalog.All.Count, await database.ScalarAsync<long>($"SELECT count(*) FROM {MigrationCatalog.JournalTable}"));
    }
}

/// <summary>A run that dies inside a script leaves no trace of that script, and the next run resumes from the journal.</summary>
public sealed class InterruptedBootstrapTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task a_failing_script_rolls_back_whole_and_the_next_run_resumes()
    {
        var good = MigrationCatalog.All;
        var broken = new MigrationScript(
            "9999_interrupted.sql",
            "CREATE TABLE half_done (id int); INSERT INTO half_done VALUES (1); SELECT 1 / 0;");

        var failure = await Assert.ThrowsAsync<DurableWorkflow.Bootstrap.BootstrapException>(
            () => Fixtures.Bootstrap.RunAsync(database.ConnectionString, [.. good, broken]));

        Assert.Contains("9999_interrupted.sql", failure.Message, StringComparison.Ordinal);
        Assert.Null(await database.ScalarAsync<string>("SELECT to_regclass('half_done')::text"));
        Assert.Equal((long)good.Count, await database.ScalarAsync<long>($"SELECT count(*) FROM {MigrationCatalog.JournalTable}"));

        var fixedScript = broken with { Sql = "CREATE TABLE IF NOT EXISTS half_done (id int); INSERT INTO half_done VALUES (1);" };
        var resumed = await Fixtures.Bootstrap.RunAsync(database.ConnectionString, [.. good, fixedScript]);

        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("applying 9999_interrupted.sql", resumed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("applying 0001", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM half_done"));
    }

    [Fact]
    public async Task a_lost_journal_row_is_recovered_because_scripts_are_idempotent()
    {
        await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        var last = MigrationCatalog.All[^1].Name;
        await database.ExecuteAsync($"DELETE FROM {MigrationCatalog.JournalTable} WHERE scriptname = '{last}'");

        var rerun = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);

        Assert.Equal(0, rerun.ExitCode);
        Assert.Contains($"applying {last}", rerun.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM {MigrationCatalog.JournalTable} WHERE scriptname = '{last}'"));
    }
}
