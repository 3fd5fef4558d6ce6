using DurableWorkflow.Bootstrap;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Tests.Fixtures;

public static class Bootstrap
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string connectionString, IReadOnlyList<MigrationScript>? scripts = null, string defaultNamespace = "default")
    {
        using var output = new StringWriter();
        var bootstrapper = new Bootstrapper(
            new BootstrapOptions(connectionString, defaultNamespace, Retries: 0, RetryDelay: TimeSpan.Zero),
            scripts ?? MigrationCatalog.All,
            output);
        var exitCode = await bootstrapper.MigrateAsync(CancellationToken.None);
        return (exitCode, output.ToString());
    }
}
