using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Bootstrap;

/// <summary>
/// Invariant 92 (rollout contract §11.1, §14.7). This bootstrap never journals a script without running it: every
/// unrecorded script is run, and scripts are re-runnable, so "adoption" of a script whose tables all exist is a no-op run.
/// A script that creates no table, or whose tables are only partly present, is therefore run too, and its missing
/// effect appears, instead of being recorded as done with that effect absent.
/// </summary>
public sealed class BootstrapAdoptionTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task Invariant_092_a_script_creating_no_table_or_with_tables_partly_present_is_run_not_adopted()
    {
        Assert.Equal(0, (await Fixtures.Bootstrap.RunAsync(database.ConnectionString)).ExitCode);
        var alterOnly = Script("_completion_fingerprint.sql");
        var partlyPresent = Script("_workers.sql");

        // An alter-only script whose column is gone, and a three-table script with one table gone, both unrecorded.
        await database.ExecuteAsync("ALTER TABLE workflow_tasks DROP COLUMN outcome_request_sha256");
        await database.ExecuteAsync("DROP TABLE workflow_worker_build_id_rollouts");
        await database.ExecuteAsync($"DELETE FROM {MigrationCatalog.JournalTable} WHERE scriptname IN ('{alterOnly}', '{partlyPresent}')");

        var rerun = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);

        Assert.Equal(0, rerun.ExitCode);
        Assert.Contains(alterOnly, rerun.Output, StringComparison.Ordinal);
        Assert.Contains(partlyPresent, rerun.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'workflow_tasks' AND column_name = 'outcome_request_sha256'"));
        Assert.NotNull(await database.ScalarAsync<string>("SELECT to_regclass('workflow_worker_build_id_rollouts')::text"));
        Assert.Equal(2L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM {MigrationCatalog.JournalTable} WHERE scriptname IN ('{alterOnly}', '{partlyPresent}')"));
    }

    private static string Script(string suffix) => MigrationCatalog.All.Single(m => m.Name.EndsWith(suffix, StringComparison.Ordinal)).Name;
}
