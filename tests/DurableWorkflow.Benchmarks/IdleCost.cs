using System.Diagnostics;
using System.Net;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// What an idle server costs the database with one worker's workflow poll parked on it: the worker re-polls back to
/// back with the protocol's longest hold, nothing is started, and the database's transactions and statements over the
/// window are counted (every poll's own admission, reservation and empty answer included, and every background loop
/// of every node on the database).
/// </summary>
public static class IdleCost
{
    public const int PollHoldSeconds = 60;

    public sealed record Result(TimeSpan Window, int Polls, DatabaseCounters.Window Counters)
    {
        public double TransactionsPerSecond => Counters.Transactions / Window.TotalSeconds;

        public double? StatementsPerSecond => Counters.WorkStatements / Window.TotalSeconds;

        /// <summary>
        /// At most what the server's own transactions can be: each of them runs at least one of the statements counted,
        /// so its statements bound them where the database's figure also holds autovacuum's transactions.
        /// </summary>
        public double ServerTransactionsPerSecond =>
            Math.Min(Counters.Transactions, Counters.WorkStatements ?? Counters.Transactions) / Window.TotalSeconds;
    }

    /// <param name="vacuumFirst">Vacuum and analyze the (scratch) database first and turn autovacuum off on its tables,
    /// so autovacuum, whose transactions count in <c>pg_stat_database</c> too, stays out of the window.</param>
    public static async Task<Result> MeasureAsync(
        Uri node, string? token, DatabaseCounters counters, TimeSpan window, bool vacuumFirst, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counters);
        if (vacuumFirst)
        {
            await counters.VacuumAnalyzeAsync(cancellationToken);
        }

        using var worker = new DurableWorkflow.TestWorker.TestWorker(node, $"idle-{Guid.NewGuid():N}", new TestWorkerOptions { Token = token });
        (await worker.RegisterAsync(cancellationToken)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        try
        {
            // Whatever ran before is reported by its backends within the settle time, so it stays out of the window.
            await Task.Delay(DatabaseCounters.Settle, cancellationToken);
            await counters.ResetAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            var polls = 0;
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                stop.CancelAfter(window);
                try
                {
                    while (true)
                    {
                        polls++;
                        if (await worker.PollWorkflowTaskAsync(PollHoldSeconds, stop.Token) is not null)
                        {
                            throw new InvalidOperationException("The idle poll was handed a task; nothing should exist on its queue.");
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The window ended while a poll was parked: the server sees the request go away, as when a worker stops.
                }
            }

            // The rate is over the window only, while the count also takes in the settle time after it: that errs high.
            var elapsed = clock.Elapsed;
            await Task.Delay(DatabaseCounters.Settle, cancellationToken);
            return new Result(elapsed, polls, await counters.ReadAsync(cancellationToken));
        }
        finally
        {
            await worker.DeregisterAsync(CancellationToken.None);
        }
    }
}
