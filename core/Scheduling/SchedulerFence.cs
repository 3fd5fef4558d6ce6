using DurableWorkflow.Core.Engine;

namespace DurableWorkflow.Core.Scheduling;

/// <summary>
/// Proof that this process held the scheduler lease with <see cref="Token"/> when the tick began. Every scheduler
/// transaction calls <see cref="HoldsAsync"/> first: it extends the unexpired lease of this owner and token, and the
/// row lock that update takes makes a concurrent takeover wait until the transaction ends. A holder whose lease
/// expired or was taken over matches no row and writes nothing.
/// </summary>
public sealed record SchedulerFence(string Owner, long Token, TimeSpan Duration)
{
    public async Task<bool> HoldsAsync(EngineTransaction tx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var check = tx.Command(
            """
            UPDATE scheduler_leases SET expires_at = greatest(expires_at, now() + make_interval(secs => $4)), renewed_at = now()
             WHERE name = $1 AND owner = $2 AND token = $3 AND expires_at > now()
            RETURNING 1
            """,
            SchedulerLease.Name, Owner, Token, Duration.TotalSeconds);
        return await check.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Like <see cref="HoldsAsync"/>, for paths that must abandon the whole pass when the lease is gone.</summary>
    public async Task EnsureAsync(EngineTransaction tx, CancellationToken cancellationToken)
    {
        if (!await HoldsAsync(tx, cancellationToken))
        {
            throw new SchedulerLeaseLostException(Owner, Token);
        }
    }
}

/// <summary>The lease was taken over or expired mid-tick; the tick stops and its open transaction rolls back.</summary>
public sealed class SchedulerLeaseLostException(string owner, long token)
    : Exception($"Scheduler lease token {token} of {owner} is no longer current.");
