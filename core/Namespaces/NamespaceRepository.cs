using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.Namespaces;

/// <summary>All SQL for the namespace aggregate.</summary>
public sealed class NamespaceRepository(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Columns = "name, description, retention_days, status, external_payload_storage, created_at, updated_at";

    public async Task<IReadOnlyList<NamespaceRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM workflow_namespaces ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<NamespaceRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    public async Task<NamespaceRecord?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM workflow_namespaces WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await ReadSingleAsync(command, cancellationToken);
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1 FROM workflow_namespaces WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Inserts the namespace, or returns null when the name is taken (the unique key decides, not a prior read).</summary>
    public async Task<NamespaceRecord?> TryCreateAsync(string name, string? description, int retentionDays, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO workflow_namespaces (name, description, retention_days, status, created_at, updated_at)
            VALUES ($1, $2, $3, 'active', $4, $4)
            ON CONFLICT (name) DO NOTHING
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = retentionDays });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>Applies only the values given; null means "leave as is".</summary>
    public async Task<NamespaceRecord?> UpdateAsync(string name, string? description, int? retentionDays, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE workflow_namespaces
               SET description = COALESCE($2, description),
                   retention_days = COALESCE($3, retention_days),
                   updated_at = $4
             WHERE name = $1
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)retentionDays ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        return await ReadSingleAsync(command, cancellationToken);
    }

    public async Task<NamespaceRecord?> SetExternalStorageAsync(string name, string policyJson, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE workflow_namespaces
               SET external_payload_storage = $2, updated_at = $3
             WHERE name = $1
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = policyJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        return await ReadSingleAsync(command, cancellationToken);
    }

    private static async Task<NamespaceRecord?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static NamespaceRecord Read(NpgsqlDataReader reader)
    {
        JsonElement? storage = reader.IsDBNull(4) ? null : JsonDocument.Parse(reader.GetString(4)).RootElement.Clone();
        return new NamespaceRecord(
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetInt32(2),
            reader.GetString(3),
            storage,
            reader.GetFieldValue<DateTimeOffset>(5),
            reader.GetFieldValue<DateTimeOffset>(6));
    }
}
