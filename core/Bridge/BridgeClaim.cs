using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.Bridge;

/// <summary>The claim on one key: record the first outcome (commit), or dispose to release it storing nothing.</summary>
public sealed class BridgeClaim : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;

    internal BridgeClaim(BridgeEventKey key, NpgsqlConnection connection, NpgsqlTransaction transaction, StoredBridgeOutcome? stored)
    {
        Key = key;
        this.connection = connection;
        this.transaction = transaction;
        Stored = stored;
    }

    public BridgeEventKey Key { get; }

    /// <summary>The first outcome recorded for this key, or null when this delivery is the first.</summary>
    public StoredBridgeOutcome? Stored { get; }

    public async Task RecordAsync(string action, int httpStatus, JsonObject outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO workflow_bridge_events (namespace, adapter, idempotency_key, action, http_status, outcome, workflow_id, run_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = Key.Namespace });
            insert.Parameters.Add(new NpgsqlParameter { Value = Key.Adapter });
            insert.Parameters.Add(new NpgsqlParameter { Value = Key.IdempotencyKey });
            insert.Parameters.Add(new NpgsqlParameter { Value = action });
            insert.Parameters.Add(new NpgsqlParameter { Value = (short)httpStatus });
            insert.Parameters.Add(new NpgsqlParameter { Value = outcome.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)(string?)outcome["workflow_id"] ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)(string?)outcome["run_id"] ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
