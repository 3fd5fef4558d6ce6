using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// N workflows of one activity each, driven by K concurrent test workers (each running Python's workflow loop and
/// activity loop). State transitions counted per workflow: the start, the first workflow-task completion (schedules
/// the activity), the activity completion, the second workflow-task completion (completes the run) = 4.
/// </summary>
public static class ThroughputRun
{
    public const string WorkflowType = "bench.one_activity";
    public const string ActivityType = "bench.echo";
    private const int PollTimeoutSeconds = 5;

    public sealed record Result(
        int Requested,
        int Started,
        int CompletedWorkflows,
        int WorkflowTaskCompletions,
        int ActivityCompletions,
        int Errors,
        TimeSpan Elapsed,
        TimeSpan StartsElapsed,
        bool TimedOut,
        RoundTrips RoundTrips)
    {
        public int Transitions => Started + WorkflowTaskCompletions + ActivityCompletions;
    }

    /// <param name="startsPerSecond">Null: starts are sent back to back with concurrency K. Else starts are paced at this
    /// rate (the steady run), still at most K in flight.</param>
    public static async Task<Result> RunAsync(
        Uri server, string? token, int workflows, int workers, TimeSpan limit, CancellationToken cancellationToken, double? startsPerSecond = null)
    {
        var queue = $"bench-{Guid.NewGuid():N}";
        var options = new TestWorkerOptions
        {
            Token = token,
            Workflows = new Dictionary<string, WorkflowScript> { [WorkflowType] = WorkflowScripts.OneActivity(ActivityType, queue) },
            Activities = new Dictionary<string, Func<JsonArray, JsonNode?>> { [ActivityType] = args => args.Count > 0 ? args[0]?.DeepClone() : null },
        };
        var pool = Enumerable.Range(0, workers).Select(_ => new DurableWorkflow.TestWorker.TestWorker(server, queue, options)).ToList();
        using var control = new ControlClient(server, token);
        var started = 0;
        var completedRuns = 0;
        var workflowCompletions = 0;
        var activityCompletions = 0;
        var errors = 0;
        var roundTrips = new RoundTrips();
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observer = new WorkerObserver
        {
            WorkflowTaskCompleted = outcome =>
            {
                if (outcome.Response.Status != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                    return;
                }

                Interlocked.Increment(ref workflowCompletions);
                roundTrips.Add(RoundTrips.WorkflowComplete, outcome.Response.Elapsed);
                if ((string?)outcome.Response.Json["run_status"] == "completed" && Interlocked.Increment(ref completedRuns) == workflows)
                {
                    allDone.TrySetResult();
                }
            },
            ActivityTaskCompleted = (_, response) =>
            {
                if (response.Status == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref activityCompletions);
                    roundTrips.Add(RoundTrips.ActivityComplete, response.Elapsed);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            },
            Error = _ => Interlocked.Increment(ref errors),
        };

        try
        {
            foreach (var worker in pool)
            {
                (await worker.RegisterAsync(cancellationToken)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var loops = pool.Select(w => w.RunAsync(PollTimeoutSeconds, observer, stop.Token)).ToList();
            var clock = Stopwatch.StartNew();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(limit);
            var timedOut = false;
            var startsElapsed = TimeSpan.Zero;
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, workflows), new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = deadline.Token },
                    async (i, token) =>
                    {
                        if (startsPerSecond is { } rate && TimeSpan.FromSeconds(i / rate) - clock.Elapsed is { Ticks: > 0 } wait)
                        {
                            await Task.Delay(wait, token);
                        }

                        var response = await control.StartWorkflowAsync(WorkflowType, queue, [$"payload-{i}"], token);
                        if (response.Status == HttpStatusCode.Created)
                        {
                            Interlocked.Increment(ref started);
                            roundTrips.Add(RoundTrips.Start, response.Elapsed);
                        }
                        else
                        {
                            Interlocked.Increment(ref errors);
                        }
                    });
                startsElapsed = clock.Elapsed;
                await allDone.Task.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
            }

            var elapsed = clock.Elapsed;
            await stop.CancelAsync();
            await Task.WhenAll(loops);
            return new Result(workflows, started, completedRuns, workflowCompletions, activityCompletions, errors, elapsed, startsElapsed, timedOut, roundTrips);
        }
        finally
        {
            foreach (var worker in pool)
            {
                try
                {
                    await worker.DeregisterAsync(CancellationToken.None);
                }
                catch (HttpRequestException)
                {
                    // The server may already be gone; nothing to clean up then.
                }

                worker.Dispose();
            }
        }
    }
}

/// <summary>Mean HTTP round trip per call kind, as the client saw it.</summary>
public sealed class RoundTrips
{
    public const string Start = "POST /api/workflows";
    public const string WorkflowComplete = "workflow-task complete";
    public const string ActivityComplete = "activity-task complete";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Count, double TotalMs)> totals = new(StringComparer.Ordinal);

    public void Add(string kind, TimeSpan elapsed) =>
        totals.AddOrUpdate(kind, (1, elapsed.TotalMilliseconds), (_, t) => (t.Count + 1, t.TotalMs + elapsed.TotalMilliseconds));

    public double MeanMs(string kind) => totals.TryGetValue(kind, out var t) && t.Count > 0 ? t.TotalMs / t.Count : double.NaN;
}
