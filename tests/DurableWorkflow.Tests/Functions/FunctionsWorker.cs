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

        // The stand-in never fires timers on its own; the schedule only has to resolve.
        Host = await StartAsync(Database.ConnectionString, "functions-a", "0 0 0 1 1 *");
    }

    /// <summary>Starts the built worker under a stand-in of its own against <paramref name="connectionString"/>.</summary>
    public static async Task<FunctionsHostStandIn> StartAsync(
        string connectionString, string serverId, string schedulerCron, params (string Name, string? Value)[] settings)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = connectionString,
            ["DW_AUTH_DRIVER"] = "token",
            ["DW_ADMIN_TOKEN"] = ServerFactory.AdminToken,
            ["DW_OPERATOR_TOKEN"] = ServerFactory.OperatorToken,
            ["DW_WORKER_TOKEN"] = ServerFactory.WorkerToken,
            ["DW_AUTH_TOKEN"] = null,
            ["DW_SCHEDULER_ENABLED"] = "true",
            ["DW_SERVER_ID"] = serverId,
            ["DW_REDIS_CONNECTION"] = null,
            ["DW_V2_MULTI_NODE"] = null,
            ["SCHEDULER_CRON"] = schedulerCron,
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        return await FunctionsHostStandIn.StartAsync(TestEnvironment.FunctionsAssembly, environment, cancellationToken: timeout.Token);
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
