using DurableWorkflow.TestWorker;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>
/// The real server binary on its own Kestrel port (<c>dotnet DurableWorkflow.Server.dll --urls ...</c>) with
/// <c>DW_*</c> environment variables, against a real database. Ready once <c>/api/ready</c> answers 200; the process
/// is killed on dispose. Workers and clients reach it only over HTTP.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>One shared token (legacy full access), as the typical Python deployment configures.</summary>
    public const string Token = "protocol-test-token";

    private readonly ServerHost host;

    private ServerProcess(ServerHost host) => this.host = host;

    public Uri BaseAddress => host.BaseAddress;

    public string Name => host.Name;

    public string RecentOutput => host.RecentOutput;

    public long OutputMark => host.OutputMark;

    public string OutputSince(long mark) => host.OutputSince(mark);

    public static async Task<ServerProcess> StartAsync(string connectionString, string name, params (string Key, string? Value)[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var environment = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = connectionString,
            ["DW_AUTH_TOKEN"] = Token,
            ["DW_SCHEDULER_ENABLED"] = "false",
            ["DW_SERVER_ID"] = name,
            ["DW_REDIS_CONNECTION"] = null,
            ["DW_V2_MULTI_NODE"] = null,
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var host = await ServerHost.StartAsync(TestEnvironment.ServerAssembly, environment, name, TimeSpan.FromSeconds(60), CancellationToken.None);
        return new ServerProcess(host);
    }

    public DurableWorkflow.TestWorker.TestWorker Worker(string taskQueue, TestWorkerOptions? options = null) =>
        new(BaseAddress, taskQueue, (options ?? new TestWorkerOptions()) with { Token = Token });

    public ControlClient Control() => new(BaseAddress, Token);

    public ValueTask DisposeAsync() => host.DisposeAsync();
}

/// <summary>A bootstrapped database of its own and one server process on it, for one test class.</summary>
public sealed class ProtocolServer : IAsyncLifetime
{
    public BootstrappedDatabase Database { get; } = new();

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Server = await ServerProcess.StartAsync(Database.ConnectionString, "node-a");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}

/// <summary>Two server processes (nodes A and B) on one database and one Redis, multi-node mode.</summary>
public sealed class TwoNodeServers : IAsyncLifetime
{
    public BootstrappedDatabase Database { get; } = new();

    public ServerProcess NodeA { get; private set; } = null!;

    public ServerProcess NodeB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        (string, string?)[] settings = [("DW_REDIS_CONNECTION", TestEnvironment.RedisConnection), ("DW_V2_MULTI_NODE", "true")];
        var a = ServerProcess.StartAsync(Database.ConnectionString, "node-a", settings);
        var b = ServerProcess.StartAsync(Database.ConnectionString, "node-b", settings);
        try
        {
            await Task.WhenAll(a, b);
        }
        finally
        {
            // Keep whichever node did start, so DisposeAsync stops it even when the other failed.
            NodeA = a.IsCompletedSuccessfully ? await a : null!;
            NodeB = b.IsCompletedSuccessfully ? await b : null!;
        }
    }

    public async Task DisposeAsync()
    {
        if (NodeA is not null)
        {
            await NodeA.DisposeAsync();
        }

        if (NodeB is not null)
        {
            await NodeB.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
