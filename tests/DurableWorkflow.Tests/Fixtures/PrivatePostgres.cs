using Npgsql;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>
/// A PostgreSQL cluster owned by one test class, so the test may stop and restart it without disturbing the shared
/// test server. Controlled through <c>infra/local/pg.sh</c>, the same script the local stack uses.
/// </summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"dw-pg-{Guid.NewGuid():N}");

    public int Port { get; } = Processes.FreeTcpPort();

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=3;Command Timeout=5";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        await PgAsync("init");
        await StartAsync();
    }

    public Task StartAsync() => PgAsync("start");

    public Task StopAsync() => PgAsync("stop");

    public async Task<string> CreateBootstrappedDatabaseAsync()
    {
        var name = $"dw_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(ConnectionString()))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = ConnectionString(name);
        await Bootstrap.RunAsync(connectionString);
        return connectionString;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(folder, recursive: true);
    }

    private async Task PgAsync(string command)
    {
        var result = await Processes.RunAsync(
            "bash",
            [TestEnvironment.PgTool, command, Path.Combine(folder, "pg"), Port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            environment: null,
            TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, $"pg.sh {command} failed: {result.StdErr}{result.StdOut}");
    }
}

/// <summary>A redis-server process owned by one test class, stoppable and restartable on the same port.</summary>
public sealed class PrivateRedis : IAsyncLifetime
{
    private System.Diagnostics.Process? process;

    public int Port { get; } = Processes.FreeTcpPort();

    public string ConnectionString => $"127.0.0.1:{Port}";

    public Task InitializeAsync() => StartAsync();

    public async Task StartAsync()
    {
        process = Processes.Start(
            "redis-server",
            ["--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"],
            environment: null);
        await HttpAssert.EventuallyAsync(async () =>
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return (true, "listening");
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                return (false, ex.Message);
            }
        }, TimeSpan.FromSeconds(10));
    }

    public async Task StopAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    public Task DisposeAsync() => StopAsync();
}
