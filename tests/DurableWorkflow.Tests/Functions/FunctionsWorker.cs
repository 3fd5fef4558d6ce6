using DurableWorkflow.FunctionsHost;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Functions;

/// <summary>
/// The built isolated worker (<c>functions/</c>) under the Functions host stand-in, on a bootstrapped database of its
/// own, with role tokens and the scheduler enabled (only the timer trigger drives it in this host). One per test class.
/// </summary>
public sealed class FunctionsWorker : IAsyncLifetime
{
    public BootstrappedDatabase Database { get; } = new();

    public FunctionsHostStandIn Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        var environment = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = Database.ConnectionString,
            ["DW_AUTH_DRIVER"] = "token",
            ["DW_ADMIN_TOKEN"] = ServerFactory.AdminToken,
            ["DW_OPERATOR_TOKEN"] = ServerFactory.OperatorToken,
            ["DW_WORKER_TOKEN"] = ServerFactory.WorkerToken,
            ["DW_AUTH_TOKEN"] = null,
            ["DW_SCHEDULER_ENABLED"] = "true",
            ["DW_SERVER_ID"] = "functions-a",
            ["DW_REDIS_CONNECTION"] = null,
            ["DW_V2_MULTI_NODE"] = null,

            // The stand-in never fires timers on its own; the schedule only has to resolve.
            ["SCHEDULER_CRON"] = "0 0 0 1 1 *",
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        Host = await FunctionsHostStandIn.StartAsync(TestEnvironment.FunctionsAssembly, environment, cancellationToken: timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
