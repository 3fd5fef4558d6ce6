using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// One PostgreSQL transaction per state transition. Wake channels touched by the writes are collected and published
/// only after commit, so a woken poller never races a transaction that is still open.
/// </summary>
public sealed class EngineTransaction : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;
    private readonly WakeBus wakeBus;
    private readonly HashSet<string> wakeChannels = new(StringComparer.Ordinal);

    private EngineTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, WakeBus wakeBus)
    {
        this.connection = connection;
        this.transaction = transaction;
        this.wakeBus = wakeBus;
    }

    public static async Task<EngineTransaction> BeginAsync(NpgsqlDataSource dataSource, WakeBus wakeBus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new EngineTransaction(connection, transaction, wakeBus);
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

    public void Wake(string channel) => wakeChannels.Add(channel);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await transaction.CommitAsync(cancellationToken);
        wakeBus.Publish(wakeChannels);
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
