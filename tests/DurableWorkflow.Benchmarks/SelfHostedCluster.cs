using DurableWorkflow.Bootstrap;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.TestWorker;
using Npgsql;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// A scratch database on <c>DW_TEST_PG</c>, migrated by the real bootstrapper, and server processes on it: A from the
/// start, and B, C and D once the latency modes need them (<see cref="StartLatencyNodesAsync"/>). A and B share
/// <c>DW_TEST_REDIS</c> (multi-node, Redis wake), C and D run without Redis. The throughput phases measure A alone: an
/// idle node B still takes every wake-up A publishes, which cost about 1.3 ms of CPU per workflow on this machine, and
/// C and D would add their own loops. Everything is removed on dispose.
/// </summary>
public sealed class SelfHostedCluster : IAsyncDisposable
{
    public const string Token = "benchmark-token";

    private readonly string adminConnection;
    private readonly string databaseName;
    private readonly List<ServerHost> servers = [];

    private readonly string redis;

    private SelfHostedCluster(string adminConnection, string databaseName, string connectionString, string redis)
    {
        this.adminConnection = adminConnection;
        this.databaseName = databaseName;
        this.redis = redis;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public ServerHost RedisA { get; private set; } = null!;

    public ServerHost? RedisB { get; private set; }

    public ServerHost? PlainC { get; private set; }

    public ServerHost? PlainD { get; private set; }

    public static async Task<SelfHostedCluster> StartAsync(CancellationToken cancellationToken)
    {
        var admin = Required("DW_TEST_PG");
        var redis = Required("DW_TEST_REDIS");
        var name = $"dw_bench_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        var cluster = new SelfHostedCluster(admin, name, connectionString, redis);
        try
        {
            var bootstrapper = new Bootstrapper(new BootstrapOptions(connectionString, "default", Retries: 0, RetryDelay: TimeSpan.Zero), MigrationCatalog.All, TextWriter.Null);
            if (await bootstrapper.MigrateAsync(cancellationToken) != 0)
            {
                throw new InvalidOperationException("Bootstrap of the benchmark database failed.");
            }

            cluster.RedisA = await cluster.StartNodeAsync("bench-a", redis, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts B (with Redis), C and D (without) beside A, for the dispatch latency modes.</summary>
    public async Task StartLatencyNodesAsync(CancellationToken cancellationToken)
    {
        var b = StartNodeAsync("bench-b", redis, cancellationToken);
        var c = StartNodeAsync("bench-c", null, cancellationToken);
        var d = StartNodeAsync("bench-d", null, cancellationToken);
        (RedisB, PlainC, PlainD) = (await b, await c, await d);
    }

    /// <summary>Stops B, C and D, so what follows measures A alone.</summary>
    public async Task StopLatencyNodesAsync()
    {
        foreach (var server in servers.Where(s => s != RedisA).ToList())
        {
            await server.DisposeAsync();
            servers.Remove(server);
        }

        (RedisB, PlainC, PlainD) = (null, null, null);
    }

    /// <summary>Starts one server process on the scratch database; it joins <see cref="servers"/> as soon as it is ready.</summary>
    private async Task<ServerHost> StartNodeAsync(string name, string? redisConnection, CancellationToken cancellationToken)
    {
        var server = await ServerHost.StartAsync(ServerAssembly(), new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = ConnectionString,
            ["DW_AUTH_TOKEN"] = Token,
            ["DW_SCHEDULER_ENABLED"] = "false",
            ["DW_SERVER_ID"] = name,
            ["DW_REDIS_CONNECTION"] = redisConnection,
            ["DW_V2_MULTI_NODE"] = redisConnection is null ? null : "true",
        }, name, TimeSpan.FromSeconds(90), cancellationToken);
        lock (servers)
        {
            servers.Add(server);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(adminConnection);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary><c>server/bin/&lt;this build's configuration&gt;/net10.0/DurableWorkflow.Server.dll</c>.</summary>
    private static string ServerAssembly()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DurableWorkflow.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException("DurableWorkflow.sln not found above the benchmark's output folder.");
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";
        return Path.Combine(directory.FullName, "server", "bin", configuration, "net10.0", "DurableWorkflow.Server.dll");
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"--self-host needs {name} (e.g. export DW_TEST_PG=... DW_TEST_REDIS=...).");
}
