using Npgsql;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>An empty database of its own for one test class, dropped when the class is done.</summary>
public class FreshDatabase : IAsyncLifetime
{
    public string Name { get; } = $"dw_test_{Guid.NewGuid():N}";

    public string ConnectionString { get; private set; } = string.Empty;

    public virtual async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(TestEnvironment.PostgresAdminConnection);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresAdminConnection) { Database = Name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestEnvironment.PostgresAdminConnection);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A fresh database with every migration applied and the default namespace seeded.</summary>
public sealed class BootstrappedDatabase : FreshDatabase
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Bootstrap.RunAsync(ConnectionString);
    }
}
