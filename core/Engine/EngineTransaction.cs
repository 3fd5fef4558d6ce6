using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// One PostgreSQL transaction per state transition. Wake channels touched by the writes are collected and published
/// only after commit, so a woken poller never races a transaction that is still open; a task that only becomes
/// claimable later is announced then, so a signal always means "claimable now".
/// </summary>
public sealed class EngineTransaction : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;
    private readonly WakeBus wakeBus;
    private readonly Dictionary<string, int> wakeChannels = new(StringComparer.Ordinal);
    private List<Action>? afterCommit;
    private List<(string Channel, TimeSpan Delay)>? laterWakes;

    private EngineTransaction(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction, WakeBus wakeBus)
    {
        DataSource = dataSource;
        this.connection = connection;
        this.transaction = transaction;
        this.wakeBus = wakeBus;
    }

    /// <summary>The node's data source; per-node caches of committed facts are keyed by it.</summary>
    public NpgsqlDataSource DataSource { get; }

    public static async Task<EngineTransaction> BeginAsync(NpgsqlDataSource dataSource, WakeBus wakeBus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new EngineTransaction(dataSource, connection, transaction, wakeBus);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand Command(string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>Signals the channel after commit; called once per task made claimable, since the count bounds how many parked polls wake.</summary>
    public void Wake(string channel) => wakeChannels[channel] = wakeChannels.GetValueOrDefault(channel) + 1;

    /// <summary>
    /// Wakes the channel once a task this transaction made ready becomes claimable, <paramref name="delay"/> after the
    /// commit (at once when it is not positive). A node that dies meanwhile loses the signal, which costs latency only:
    /// every node's queue probe pass still finds the task.
    /// </summary>
    public void WakeAfter(string channel, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Wake(channel);
            return;
        }

        (laterWakes ??= []).Add((channel, delay));
    }

    /// <summary>Runs <paramref name="action"/> once the transaction committed (never on rollback): caches learn only committed facts.</summary>
    public void AfterCommit(Action action) => (afterCommit ??= []).Add(action);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await transaction.CommitAsync(cancellationToken);
        afterCommit?.ForEach(action => action());
        wakeBus.Publish(wakeChannels);
        laterWakes?.ForEach(wake => wakeBus.PublishAfter(wake.Channel, wake.Delay));
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
