using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The claim transactions of one poll. The first is the one its admission read the worker's registration in, so the
/// registration lookup is the first statement of the first claim's transaction rather than a transaction (and a
/// commit) of its own; every later claim begins a new one. Disposing rolls back a first transaction no claim took
/// (the poll was refused, or failed before it claimed).
/// </summary>
public sealed class PollTransactions(NpgsqlDataSource dataSource, WakeBus wakeBus) : IAsyncDisposable
{
    private EngineTransaction? first;

    /// <summary>Begins the transaction admission reads in; the next <see cref="TakeAsync"/> hands it to the claim.</summary>
    public async Task<EngineTransaction> BeginFirstAsync(CancellationToken cancellationToken)
    {
        if (first is not null)
        {
            throw new InvalidOperationException("The poll's first transaction has already begun.");
        }

        first = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        return first;
    }

    /// <summary>A transaction for one claim, which the caller then owns (commits or disposes).</summary>
    public async Task<EngineTransaction> TakeAsync(CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref first, null) ?? await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref first, null) is { } untaken)
        {
            await untaken.DisposeAsync();
        }
    }
}
