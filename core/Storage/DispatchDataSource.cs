using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Storage;

/// <summary>
/// The connections polls run on (admission, claims, their looks, poll bookkeeping): the server's connection string in a
/// pool of its own, whose sessions start with two planner settings.
/// <list type="bullet">
/// <item><c>enable_sort = off</c>. A claim takes the first claimable task in <c>(priority, available_at, id)</c> order,
/// which only a walk of <c>workflow_tasks_ready_claim_idx</c> delivers cheaply. Queue tables change faster than
/// ANALYZE sees: statistics taken while the backlog was empty (or its runs mostly closed) estimate a backlog of a
/// row or two, and then sorting the whole backlog, or driving the join from every open run, looks as cheap as the
/// walk, and the planner picks it. Measured at a backlog of 1 800 ready tasks under such statistics: 25 ms and 7 400
/// buffers per claim against 1.8 ms and 21 on the walk; a 3 000-workflow benchmark phase ran at 55 workflows/s
/// instead of 99. Every statement of the poll path has a sort-free plan that is the right one; the setting only adds
/// a sort's cost penalty, so a statement that truly needs a sort still gets one.</item>
/// <item><c>jit = off</c>: a plan that keeps a sort carries that penalty, far above <c>jit_above_cost</c>, and
/// compiling it took over a second.</item>
/// </list>
/// They are startup options, so they survive the pool's reset when an operator turns <c>No Reset On Close</c> off; an
/// <c>Options</c> value in <c>DW_DB_CONNECTION</c> is kept and wins where it names the same setting. The node's
/// connection budget (<c>DW_DB_MAX_POOL_SIZE</c>) is split between the two pools (<see cref="Split"/>), so the node
/// opens no more connections than one pool did.
/// </summary>
public sealed class DispatchDataSource : IAsyncDisposable
{
    public const string PlannerOptions = "-c enable_sort=off -c jit=off";

    /// <param name="dispatchConnection">The dispatch part of <see cref="Split"/>, or any connection string in a test.</param>
    public DispatchDataSource(string dispatchConnection, ILoggerFactory? loggerFactory = null)
    {
        var builder = new NpgsqlDataSourceBuilder(WithPlannerOptions(dispatchConnection));
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        Connections = builder.Build();
    }

    public NpgsqlDataSource Connections { get; }

    /// <summary>
    /// Splits the server connection's pool between polls (a third, at least one) and everything else (the rest, at least
    /// one; a budget of one gives each pool one). A minimum pool size is capped at each pool's maximum. Claims are short
    /// and contend with each other for the head of a queue, so a few connections serve them best: at K = 16 with the
    /// default budget of 20, splitting it 6 / 14 ran at 77–101 workflows/s with round trips of 28–57 ms, 10 / 10 at 62–71
    /// with 68–124 ms (starts and completions queued for the smaller pool), and 20 / 20 (a budget of 40) at 97.5.
    /// </summary>
    public static (string Main, string Dispatch) Split(string serverConnection)
    {
        var main = new NpgsqlConnectionStringBuilder(serverConnection);
        var total = main.MaxPoolSize;
        var dispatch = new NpgsqlConnectionStringBuilder(serverConnection) { MaxPoolSize = Math.Max(1, total / 3) };
        main.MaxPoolSize = Math.Max(1, total - dispatch.MaxPoolSize);
        main.MinPoolSize = Math.Min(main.MinPoolSize, main.MaxPoolSize);
        dispatch.MinPoolSize = Math.Min(dispatch.MinPoolSize, dispatch.MaxPoolSize);
        return (main.ConnectionString, dispatch.ConnectionString);
    }

    /// <summary>The connection string with <see cref="PlannerOptions"/> ahead of the operator's own options.</summary>
    private static string WithPlannerOptions(string connection)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection);
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? PlannerOptions : $"{PlannerOptions} {builder.Options}";
        return builder.ConnectionString;
    }

    public ValueTask DisposeAsync() => Connections.DisposeAsync();
}
