using DurableWorkflow.Core.Engine;
using Npgsql;

namespace DurableWorkflow.Core.Coordination;

/// <summary>
/// The owner of <c>workflow_coordination_leases</c>: time-boxed "someone did this recently" keys that must hold across
/// nodes and survive a Redis outage (the repair loop throttle, the inline retention pass, the poll path's per-task
/// recovery lock). A key is taken with an atomic add: the caller wins only when no unexpired row exists.
/// </summary>
public static class CoordinationLeases
{
    private const string AddSql =
        """
        INSERT INTO workflow_coordination_leases AS l (name, holder, acquired_at, expires_at)
        VALUES ($1, $2, now(), now() + make_interval(secs => $3))
        ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = now(), expires_at = EXCLUDED.expires_at
         WHERE $4 OR l.expires_at <= now()
        RETURNING 1
        """;

    /// <summary>Adds the key for <paramref name="seconds"/>; with <paramref name="overwrite"/> it always wins (a forced pass).</summary>
    public static async Task<bool> TryAddAsync(NpgsqlDataSource dataSource, string name, string holder, int seconds, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var add = dataSource.CreateCommand(AddSql);
        AddParameters(add, name, holder, seconds, overwrite);
        return await add.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>The same add inside the caller's transaction, so a fenced caller's key is written only if its fence holds.</summary>
    public static async Task<bool> TryAddAsync(EngineTransaction tx, string name, string holder, int seconds, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var add = tx.Command(AddSql, name, holder, seconds, overwrite);
        return await add.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Drops expired keys under a prefix, so per-task keys do not accumulate.</summary>
    public static async Task PurgeExpiredAsync(EngineTransaction tx, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var purge = tx.Command("DELETE FROM workflow_coordination_leases WHERE starts_with(name, $1) AND expires_at <= now()", prefix);
        await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameters(NpgsqlCommand command, string name, string holder, int seconds, bool overwrite)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seconds });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = overwrite });
    }
}
