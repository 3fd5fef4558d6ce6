using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace DurableWorkflow.Core.Bridge;

/// <summary>
/// All SQL for <c>workflow_bridge_events</c>: the first outcome of each (namespace, adapter, idempotency key). A
/// webhook holds its key's claim (a transaction-scoped advisory lock) while it acts, so a redelivery on any node waits
/// for the first delivery and then reads its outcome; a process that dies mid-way releases the claim with its
/// connection and stored nothing, so the redelivery acts again (the actions are idempotent per key).
/// </summary>
public sealed class BridgeEventStore(NpgsqlDataSource dataSource)
{
    /// <summary>Takes the key's claim and returns it with the stored outcome, if the key was seen before.</summary>
    public async Task<BridgeClaim> ClaimAsync(BridgeEventKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockKey = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
            {
                lockKey.Parameters.Add(new NpgsqlParameter { Value = LockId(key) });
                await lockKey.ExecuteNonQueryAsync(cancellationToken);
            }

            StoredBridgeOutcome? stored = null;
            await using (var read = new NpgsqlCommand(
                "SELECT http_status, outcome::text FROM workflow_bridge_events WHERE namespace = $1 AND adapter = $2 AND idempotency_key = $3",
                connection, transaction))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = key.Namespace });
                read.Parameters.Add(new NpgsqlParameter { Value = key.Adapter });
                read.Parameters.Add(new NpgsqlParameter { Value = key.IdempotencyKey });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    stored = new StoredBridgeOutcome(reader.GetInt16(0), JsonNode.Parse(reader.GetString(1))!.AsObject());
                }
            }

            return new BridgeClaim(key, connection, transaction, stored);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Forgets up to <paramref name="limit"/> of the namespace's keys first seen more than <paramref name="retentionDays"/>
    /// days ago, oldest first (history retention keeps a key exactly as long as the namespace keeps history). A
    /// redelivery after that acts again, as a first delivery would; its actions are idempotent per key. A key whose
    /// delivery is acting right now holds its advisory lock, not a row lock, so it is not waited for: its row is
    /// written only when that delivery ends, with a fresh <c>created_at</c>.
    /// </summary>
    public async Task<int> PruneExpiredAsync(string ns, int retentionDays, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ns);
        await using var prune = dataSource.CreateCommand(
            """
            DELETE FROM workflow_bridge_events e
             USING (SELECT adapter, idempotency_key FROM workflow_bridge_events
                     WHERE namespace = $1 AND created_at < now() - make_interval(days => $2)
                     ORDER BY created_at
                     LIMIT $3
                       FOR UPDATE SKIP LOCKED) expired
             WHERE e.namespace = $1 AND e.adapter = expired.adapter AND e.idempotency_key = expired.idempotency_key
            """);
        prune.Parameters.Add(new NpgsqlParameter { Value = ns });
        prune.Parameters.Add(new NpgsqlParameter<int> { TypedValue = retentionDays });
        prune.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await prune.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A stable 64-bit lock id per key. Two keys sharing an id only serialise each other; they never share an outcome,
    /// which is looked up by the full key.
    /// </summary>
    private static long LockId(BridgeEventKey key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"workflow_bridge_events\0{key.Namespace}\0{key.Adapter}\0{key.IdempotencyKey}"));
        return BitConverter.ToInt64(hash, 0);
    }
}
