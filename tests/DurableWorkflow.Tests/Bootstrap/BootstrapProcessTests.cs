using DurableWorkflow.Core.Storage;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Bootstrap;

/// <summary>The console as operators and the azd hook run it: exit codes and what it prints.</summary>
public sealed class BootstrapProcessTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task status_lists_pending_scripts_and_exits_1_until_bootstrapped()
    {
        var before = await RunAsync(["--status"], database.ConnectionString);
        var migrate = await RunAsync([], database.ConnectionString);
        var after = await RunAsync(["--status"], database.ConnectionString);

        Assert.Equal(1, before.ExitCode);
        Assert.Contains($"pending  {MigrationCatalog.All[0].Name}", before.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, migrate.ExitCode);
        Assert.Equal(0, after.ExitCode);
        Assert.Contains($"applied  {MigrationCatalog.All[0].Name}", after.StdOut, StringComparison.Ordinal);
        Assert.Contains($"{MigrationCatalog.All.Count} applied, 0 pending.", after.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unreachable_database_gives_one_line_and_a_non_zero_exit()
    {
        var port = Processes.FreeTcpPort();

        var result = await RunAsync([], $"Host=127.0.0.1;Port={port};Database=nowhere;Username=postgres;Timeout=3");

        Assert.Equal(3, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("Bootstrap failed: PostgreSQL at 127.0.0.1:", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task missing_configuration_names_the_setting()
    {
        var result = await RunAsync([], connectionString: null);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("DW_DB_CONNECTION", result.StdErr, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> RunAsync(string[] arguments, string? connectionString) =>
        Processes.RunAsync(
            "dotnet",
            [TestEnvironment.BootstrapAssembly, .. arguments],
            new Dictionary<string, string?> { ["DW_DB_CONNECTION"] = connectionString, ["DW_BOOTSTRAP_RETRIES"] = "0" },
            TimeSpan.FromSeconds(60));
}
