using System.Diagnostics;
using System.Net;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// Start-to-first-poll dispatch latency: a worker's workflow poll is parked (held open, nothing to claim) on the poll
/// node; a workflow is started through the start node; latency = from the moment <c>POST /api/workflows</c> returned to
/// the moment the parked poll answered with the task (negative values — the poll answered before the start's answer
/// arrived — count as 0).
/// </summary>
public static class DispatchLatency
{
    private const int PollHoldSeconds = 20;

    /// <summary>
    /// Samples of modes (a) and (b) run first and not counted: their first wake-ups run code paths the throughput
    /// phases never took on that node (a start on B, a wake arriving over Redis), still JIT-compiling.
    /// </summary>
    public const int WarmUpSamples = 5;
    private static readonly TimeSpan ParkDelay = TimeSpan.FromMilliseconds(250);

    /// <param name="StartRoundTripMs">Mean round trip of the (uncontended, one at a time) starts.</param>
    public sealed record Result(string Mode, IReadOnlyList<double> SamplesMs, int Failures, double StartRoundTripMs)
    {
        public double Percentile(double p) => Stats.Percentile(SamplesMs, p);

        /// <summary>
        /// The 1-based positions of the <paramref name="count"/> slowest counted samples, slowest first: a tail bunched at
        /// one point of the series (a node's hot paths recompiling) reads differently from one spread over it.
        /// </summary>
        public string Slowest(int count) => string.Join(", ", SamplesMs
            .Select((ms, i) => (ms, i))
            .OrderByDescending(s => s.ms)
            .Take(count)
            .Select(s => Report.Invariant($"{s.i + 1}")));
    }

    public static async Task<Result> MeasureAsync(
        string mode, Uri pollNode, Uri startNode, string? token, int samples, int warmUpSamples, CancellationToken cancellationToken)
    {
        var queue = $"latency-{Guid.NewGuid():N}";
        using var worker = new DurableWorkflow.TestWorker.TestWorker(pollNode, queue, new TestWorkerOptions { Token = token });
        using var control = new ControlClient(startNode, token);
        (await worker.RegisterAsync(cancellationToken)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
        var latencies = new List<double>(samples);
        var failures = 0;
        var startRoundTrips = new List<double>(samples);
        try
        {
            for (var i = 0; i < warmUpSamples + samples; i++)
            {
                var counted = i >= warmUpSamples;
                var poll = worker.PollWorkflowTaskAsync(PollHoldSeconds, cancellationToken);
                await Task.Delay(ParkDelay, cancellationToken);
                if (poll.IsCompleted)
                {
                    // Something was claimable before the start: not a parked poll. Drain it and count a failure.
                    failures += counted ? 1 : 0;
                    await poll;
                    continue;
                }

                var started = await control.StartWorkflowAsync("bench.latency", queue, [], cancellationToken);
                var startReturned = Stopwatch.GetTimestamp();
                var task = await poll;
                var latency = Stopwatch.GetElapsedTime(startReturned).TotalMilliseconds;
                if (started.Status != HttpStatusCode.Created || task is null || task.RunId != (string?)started.Json["run_id"])
                {
                    failures += counted ? 1 : 0;
                    continue;
                }

                if (counted)
                {
                    startRoundTrips.Add(started.Elapsed.TotalMilliseconds);
                    latencies.Add(Math.Max(0, latency));
                }

                (await worker.CompleteWorkflowTaskAsync(task, [Commands.CompleteWorkflow(null)], cancellationToken)).Expect(HttpStatusCode.OK);
            }
        }
        finally
        {
            await worker.DeregisterAsync(CancellationToken.None);
        }

        return new Result(mode, latencies, failures, startRoundTrips.Count > 0 ? startRoundTrips.Average() : double.NaN);
    }
}

public static class Stats
{
    /// <summary>Nearest-rank percentile; NaN without samples.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
