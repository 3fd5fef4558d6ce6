using DurableWorkflow.Core.Configuration;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling;

/// <summary>
/// The scheduler lease row: one holder at a time, a fencing token that increments on every takeover, and an expiry
/// the holder renews on each tick. A holder keeps the lease across ticks (so one node stays the scheduler while it
/// lives); another node takes it over only once it has expired.
/// </summary>
public sealed class SchedulerLease(NpgsqlDataSource dataSource, ServerSettings settings)
{
    public const string Name = "scheduler";

    /// <summary>This process's identity: the node id plus a per-process suffix, since two processes may share a node id.</summary>
    public string Owner { get; } = $"{settings.ServerId[..Math.Min(settings.ServerId.Length, 180)]}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public TimeSpan Duration { get; } = TimeSpan.FromSeconds(settings.SchedulerLeaseSeconds);

    /// <summary>Acquires, renews or takes over the lease; null when another owner holds an unexpired one.</summary>
    public async Task<SchedulerFence?> TryAcquireAsync(CancellationToken cancellationToken)
    {
        // One statement: insert the first lease, renew our own (token unchanged), or take over an expired one
        // (token + 1). The row lock of ON CONFLICT DO UPDATE waits for any in-flight fenced transaction of the previous holder.
        await using var acquire = dataSource.CreateCommand(
            """
            INSERT INTO scheduler_leases AS l (name, owner, token, acquired_at, renewed_at, expires_at)
            VALUES ($1, $2, 1, now(), now(), now() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE
               SET owner = EXCLUDED.owner,
                   token = CASE WHEN l.owner = EXCLUDED.owner AND l.expires_at > now() THEN l.token ELSE l.token + 1 END,
                   acquired_at = CASE WHEN l.owner = EXCLUDED.owner AND l.expires_at > now() THEN l.acquired_at ELSE now() END,
                   renewed_at = now(),
                   expires_at = EXCLUDED.expires_at
             WHERE l.owner = EXCLUDED.owner OR l.expires_at <= now()
            RETURNING token
            """);
        acquire.Parameters.Add(new NpgsqlParameter { Value = Name });
        acquire.Parameters.Add(new NpgsqlParameter { Value = Owner });
        acquire.Parameters.Add(new NpgsqlParameter { Value = Duration.TotalSeconds });
        return await acquire.ExecuteScalarAsync(cancellationToken) is long token ? new SchedulerFence(Owner, token, Duration) : null;
    }

    /// <summary>Gives the lease up at shutdown so the next scheduler need not wait for the expiry.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await using var release = dataSource.CreateCommand(
            "UPDATE scheduler_leases SET expires_at = now() WHERE name = $1 AND owner = $2 AND expires_at > now()");
        release.Parameters.Add(new NpgsqlParameter { Value = Name });
        release.Parameters.Add(new NpgsqlParameter { Value = Owner });
        await release.ExecuteNonQueryAsync(cancellationToken);
    }
}
