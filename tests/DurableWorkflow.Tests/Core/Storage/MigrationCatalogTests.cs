using DurableWorkflow.Core.Readiness;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Storage;

public class MigrationCatalogTests
{
    public static TheoryData<string> ScriptNames() => [.. MigrationCatalog.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void every_migration_is_additive_and_rerunnable(string name)
    {
        var script = MigrationCatalog.All.Single(s => s.Name == name);

        Assert.Empty(MigrationLinter.Violations(script.Sql));
    }

    [Fact]
    public void scripts_are_numbered_uniquely_in_order()
    {
        var names = MigrationCatalog.All.Select(s => s.Name).ToList();
        var numbers = names.Select(n => int.Parse(n[..4], System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.All(names, n => Assert.Matches(@"^\d{4}_[a-z0-9_]+\.sql$", n));
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
    }

    [Theory]
    [InlineData("DROP TABLE workflow_runs;")]
    [InlineData("ALTER TABLE workflow_runs DROP COLUMN status;")]
    [InlineData("DROP INDEX IF EXISTS workflow_runs_status_idx;")]
    [InlineData("ALTER TABLE workflow_runs RENAME COLUMN status TO state;")]
    [InlineData("ALTER TABLE workflow_runs RENAME TO runs;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN status TYPE text;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN status SET DATA TYPE text;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN memo SET NOT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS owner text NOT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN owner text;")]
    [InlineData("CREATE TABLE things (id int);")]
    [InlineData("CREATE INDEX things_idx ON things (id);")]
    [InlineData("TRUNCATE workflow_runs;")]
    public void the_linter_catches_every_breaking_statement(string sql) =>
        Assert.NotEmpty(MigrationLinter.Violations(sql));

    [Theory]
    [InlineData("CREATE TABLE IF NOT EXISTS things (id int NOT NULL);")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS owner text NOT NULL DEFAULT '';")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS note text;")]
    [InlineData("CREATE UNIQUE INDEX IF NOT EXISTS things_idx ON things (id); -- DROP later? never")]
    public void the_linter_accepts_additive_statements(string sql) =>
        Assert.Empty(MigrationLinter.Violations(sql));

    [Fact]
    public void every_table_readiness_requires_is_created_by_a_migration()
    {
        var sql = string.Join('\n', MigrationCatalog.All.Select(s => s.Sql));

        foreach (var table in ReadinessProbe.RequiredTables.Where(t => t != MigrationCatalog.JournalTable))
        {
            Assert.Contains($"CREATE TABLE IF NOT EXISTS {table} ", sql, StringComparison.Ordinal);
        }
    }
}
