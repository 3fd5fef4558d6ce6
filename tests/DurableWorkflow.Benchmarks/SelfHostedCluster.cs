using DurableWorkflow.Bootstrap;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.TestWorker;
using Npgsql;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// A scratch database on <c>DW_TEST_PG</c>, migrated by the real bootstrapper, and four server processes on it:
/// A and B share <c>DW_TEST_REDIS</c> (multi-node, Redis wake), C and D run without Redis. Everything is removed on
/// dispose.
/// </summary>
public sealed class SelfHostedCluster : IAsyncDisposable
{
    public const string Token = "benchmark-token";

    private readonly string adminConnection;
    private readonly string databaseName;
    private readonly List<ServerHost> servers = [];

    private SelfHostedCluster(string adminConnection, string databaseName, string connectionString)
    {
        this.adminConnection = adminConnection;
        this.databaseName = databaseName;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public ServerHost RedisA { get; private set; } = null!;

    public ServerHost RedisB { get; private set; } = null!;

    public ServerHost PlainC { get; private set; } = null!;

    public ServerHost PlainD { get; private set; } = null!;

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
        var cluster = new SelfHostedCluster(admin, name, connectionString);
        try
        {
            var bootstrapper = new Bootstrapper(new BootstrapOptions(connectionString, "default", Retries: 0, RetryDelay: TimeSpan.Zero), MigrationCatalog.All, TextWriter.Null);
            if (await bootstrapper.MigrateAsync(cancellationToken) != 0)
            {
                throw new InvalidOperationException("Bootstrap of the benchmark database failed.");
            }

            var assembly = ServerAssembly();
            (string Name, string? Redis)[] nodes = [("bench-a", redis), ("bench-b", redis), ("bench-c", null), ("bench-d", null)];
            var started = nodes.Select(n => ServerHost.StartAsync(assembly, new Dictionary<string, string?>
            {
                ["DW_DB_CONNECTION"] = connectionString,
                ["DW_AUTH_TOKEN"] = Token,
                ["DW_SCHEDULER_ENABLED"] = "false",
                ["DW_SERVER_ID"] = n.Name,
                ["DW_REDIS_CONNECTION"] = n.Redis,
                ["DW_V2_MULTI_NODE"] = n.Redis is null ? null : "true",
            }, n.Name, TimeSpan.FromSeconds(90), cancellationToken)).ToList();
            try
            {
                await Task.WhenAll(started);
            }
            finally
            {
                foreach (var server in started.Where(t => t.IsCompletedSuccessfully))
                {
                    cluster.servers.Add(await server);
                }
            }

            (cluster.RedisA, cluster.RedisB, cluster.PlainC, cluster.PlainD) = (cluster.servers[0], cluster.servers[1], cluster.servers[2], cluster.servers[3]);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops every node but <paramref name="keep"/>, so what follows measures that node alone.</summary>
    public async Task StopAllButAsync(ServerHost keep)
    {
        foreach (var server in servers.Where(s => s != keep).ToList())
        {
            await server.DisposeAsync();
            servers.Remove(server);
        }
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
