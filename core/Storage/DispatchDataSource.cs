using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Storage;

/// <summary>
/// The connections polls run on (admission, claims, their looks, poll bookkeeping): the server's connection string in a
/// pool of its own, whose sessions start with four planner settings. Queue tables change faster than ANALYZE sees, and
/// autovacuum analyses each table on its own schedule, so the statistics a claim is planned with routinely describe
/// another moment: a backlog of a row or two, or a handful of open runs beside a large ready backlog.
/// <list type="bullet">
/// <item><c>enable_sort = off</c>. A claim takes the first claimable task in <c>(priority, available_at, id)</c> order,
/// which only a walk of <c>workflow_tasks_ready_claim_idx</c> delivers cheaply. Told the backlog is a row or two, the
/// planner finds sorting the whole backlog, or driving the join from every open run, as cheap as the walk. Measured at
/// a backlog of 1 800 ready tasks under such statistics: 25 ms and 7 400 buffers per claim against 1.8 ms and 21 on
/// the walk; a 3 000-workflow benchmark phase ran at 55 workflows/s instead of 99.</item>
/// <item><c>enable_material = off</c>. Told only a few runs are open, the planner walks the index but joins each task
/// to a materialised scan of every run row, closed ones included, rather than to its run's primary-key entry: the cost
/// then grows with all the runs the table has ever kept. Measured in a benchmark phase after 3 600 warm-up workflows:
/// 500 of a claim's 560 buffers went to that scan (5 800 runs read for 144 open), the claim averaged 710 buffers and
/// 11.5 ms, and PostgreSQL spent 27 ms of CPU per workflow against 10.5 after a 600-workflow warm-up.</item>
/// <item><c>jit = off</c>: a plan that keeps a sort carries that penalty, far above <c>jit_above_cost</c>, and
/// compiling it took over a second.</item>
/// <item><c>plan_cache_mode = force_generic_plan</c>. The claims are prepared (auto-prepare), but PostgreSQL plans a
/// prepared statement for each call's parameters until the plan it would keep for any parameters looks no dearer, and
/// under some statistics it never does. A claim with its look is a statement of some hundred lines whose planning costs
/// 2-3 ms, more than running it: in one benchmark phase in three, every claim was planned anew, 16 s of planning for
/// 2 000 workflows (pg_stat_statements with <c>track_planning</c>), PostgreSQL spent 10.4 ms of CPU per workflow against
/// 4.7 and the phase ran at half the rate. With this setting each session plans a claim once; over three phases
/// PostgreSQL spent 4.1-4.2 ms per workflow. The kept plan is the same walk: the claim's status and task type are
/// literals, so it still proves the partial indexes' predicates, and only the namespace and the queue are parameters.</item>
/// </list>
/// Every statement of the poll path has a plan without a sort or a materialised rescan that is the right one (keyed
/// lookups and index walks) whatever its parameters; the first two settings only add a cost penalty, so a statement
/// that truly needs either still gets it. They are startup options, so they survive the pool's reset when an operator
/// turns <c>No Reset On Close</c> off; an <c>Options</c> value in <c>DW_DB_CONNECTION</c> is kept and wins where it
/// names the same setting. The node's
/// connection budget (<c>DW_DB_MAX_POOL_SIZE</c>) is split between the two pools (<see cref="Split"/>), so the node
/// opens no more connections than one pool did.
/// </summary>
public sealed class DispatchDataSource : IAsyncDisposable
{
    public const string PlannerOptions = "-c enable_sort=off -c enable_material=off -c jit=off -c plan_cache_mode=force_generic_plan";

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
