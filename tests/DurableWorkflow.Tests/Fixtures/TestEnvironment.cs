namespace DurableWorkflow.Tests.Fixtures;

/// <summary>Where the real services of the test run are; <c>infra/local/test.sh</c> starts them and sets these variables.</summary>
public static class TestEnvironment
{
    public static string PostgresAdminConnection => Required("DW_TEST_PG");

    public static string RedisConnection => Required("DW_TEST_REDIS");

    /// <summary>Connection string of the Azurite blob service <c>test.sh</c> starts (its well-known development account).</summary>
    public static string AzuriteConnection => Required("DW_TEST_AZURITE");

    public static string PgTool => Environment.GetEnvironmentVariable("DW_TEST_PG_TOOL") is { Length: > 0 } tool
        ? tool
        : Path.Combine(RepoRoot, "infra", "local", "pg.sh");

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The configuration the tests were built in, so processes are started from the matching output folder.</summary>
    public static string BuildConfiguration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";

    public static string ServerAssembly => Path.Combine(RepoRoot, "server", "bin", BuildConfiguration, "net10.0", "DurableWorkflow.Server.dll");

    /// <summary>The isolated worker's build output is the function app root: host.json and functions.metadata sit beside it.</summary>
    public static string FunctionsAssembly => Path.Combine(RepoRoot, "functions", "bin", BuildConfiguration, "net10.0", "DurableWorkflow.Functions.dll");

    public static string BootstrapAssembly => Path.Combine(RepoRoot, "dbup", "bin", BuildConfiguration, "net10.0", "DurableWorkflow.Bootstrap.dll");

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Run the tests with infra/local/test.sh, which starts PostgreSQL, Redis and Azurite and sets it.");

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DurableWorkflow.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("DurableWorkflow.sln not found above the test output folder.");
    }
}
