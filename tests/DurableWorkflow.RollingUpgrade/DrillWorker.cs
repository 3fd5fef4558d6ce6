using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>Arguments of one worker process: <c>worker --server URL --token T --queue Q --build-id B --claims FILE</c>.</summary>
public sealed record WorkerSettings(Uri Server, string Token, string Queue, string BuildId, string ClaimsLog, int WorkflowLoops)
{
    public static WorkerSettings Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new WorkerSettings(new Uri(values["server"]), values["token"], values["queue"], values["build-id"], values["claims"],
            int.Parse(values.GetValueOrDefault("workflow-loops", "2"), CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// One member of a build-id cohort. It behaves as an SDK worker must for a rolling upgrade to be lossless: a poll or a
/// completion that meets a connection reset or a 502/503/504 (the load balancer losing a node) is retried with the
/// same <c>poll_request_id</c> or the same body, so a task claimed on a node that died is handed back rather than left
/// to lease expiry; when its cohort is drained (poll answered 409 <c>worker_draining</c>) it finishes what it holds,
/// deregisters and exits. Every claim is appended to the claims log with the server's claim time.
/// </summary>
public static class DrillWorker
{
    public const string OrderWorkflow = "drill.order";
    public const string TickWorkflow = "drill.tick";
    public const string Activity = "drill.act";
    public const string Signal = "go";
    public const int PollSeconds = 5;
    public const int TimerSeconds = 1;

    /// <summary>Workflow-task and activity leases are 300 s (the server defaults the drill keeps).</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(300);

    public static async Task<int> RunAsync(WorkerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var options = new TestWorkerOptions
        {
            Token = settings.Token,
            BuildId = settings.BuildId,
            QueryTasks = false,
            Workflows = new Dictionary<string, WorkflowScript>
            {
                [OrderWorkflow] = WorkflowScripts.SignalActivityTimer(Signal, Activity, settings.Queue, TimerSeconds, 600),
                [TickWorkflow] = WorkflowScripts.CompleteWith("tick"),
            },
            Activities = new Dictionary<string, Func<JsonArray, JsonNode?>>
            {
                [Activity] = ActivityResult,
            },
        };
        using var worker = new TestWorker.TestWorker(settings.Server, settings.Queue, options) { ServerLongPollTimeout = PollSeconds };
        await using var claims = new StreamWriter(settings.ClaimsLog, append: true) { AutoFlush = true };
        var claimLock = new Lock();
        void Claim(string kind, string taskId, string? leaseExpiresAt)
        {
            var claimedAt = DateTimeOffset.TryParse(leaseExpiresAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires)
                ? (expires - Lease).ToUnixTimeMilliseconds()
                : -1;
            lock (claimLock)
            {
                claims.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{settings.BuildId} {worker.WorkerId} {kind} {taskId} {claimedAt} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}"));
            }
        }

        try
        {
            await Retry(ct => worker.RegisterAsync(ct), requireSuccess: true, stop.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        Console.WriteLine($"worker {worker.WorkerId} ({settings.BuildId}) registered");
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var heartbeat = HeartbeatLoopAsync(worker, heartbeatStop.Token);
        var loops = new List<Task>();
        for (var i = 0; i < settings.WorkflowLoops; i++)
        {
            loops.Add(WorkflowLoopAsync(worker, Claim, stop.Token));
        }

        loops.Add(ActivityLoopAsync(worker, Claim, stop.Token));
        await Task.WhenAll(loops);
        await heartbeatStop.CancelAsync();
        await heartbeat;

        // Deregistering is what lets `task-queue:drain --wait` see the cohort empty without waiting for staleness.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await Retry(ct => worker.DeregisterAsync(ct), requireSuccess: true, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("deregister did not finish within 10 s");
            return 0;
        }

        Console.WriteLine($"worker {worker.WorkerId} ({settings.BuildId}) stopped ({(stop.IsCancellationRequested ? "SIGTERM" : "drained")})");
        return 0;
    }

    private static async Task WorkflowLoopAsync(TestWorker.TestWorker worker, Action<string, string, string?> claim, CancellationToken stop)
    {
        while (await PollAsync(worker, "wf-poll", (id, ct) => worker.PollWorkflowTaskRawAsync(PollSeconds, id, ct), stop) is { } answer)
        {
            if (answer["task"] is not JsonObject json)
            {
                continue;
            }

            var task = new WorkflowTask(json);
            claim("workflow", task.TaskId, (string?)json["lease_expires_at"]);
            var history = await HistoryAsync(worker, task);
            if (history is null)
            {
                continue;
            }

            if (Script(task.WorkflowType, worker) is not { } script)
            {
                continue;
            }

            var commands = script(new WorkflowReplay(task, history));
            // Once claimed, the task is finished even if the worker is being stopped: that is the graceful part.
            await Retry(ct => worker.CompleteWorkflowTaskAsync(task, commands, ct), requireSuccess: false, CancellationToken.None);
        }
    }

    private static async Task ActivityLoopAsync(TestWorker.TestWorker worker, Action<string, string, string?> claim, CancellationToken stop)
    {
        while (await PollAsync(worker, "activity-poll", (id, ct) => worker.PollActivityTaskRawAsync(PollSeconds, id, ct), stop) is { } answer)
        {
            if (answer["task"] is not JsonObject json)
            {
                continue;
            }

            var task = new ActivityTask(json);
            claim("activity", task.TaskId, (string?)json["lease_expires_at"]);
            var result = ActivityResult(task.Arguments);
            await Retry(ct => worker.CompleteActivityTaskAsync(task, result, ct), requireSuccess: false, CancellationToken.None);
        }
    }

    /// <summary>What <c>drill.act</c> returns for the order number it is given; the drill checks results against it.</summary>
    public static JsonNode? ActivityResult(JsonArray arguments) =>
        JsonValue.Create($"act-{arguments?[0]?.ToJsonString()}");

    private static WorkflowScript? Script(string workflowType, TestWorker.TestWorker worker) => workflowType switch
    {
        OrderWorkflow => WorkflowScripts.SignalActivityTimer(Signal, Activity, worker.TaskQueue, TimerSeconds, 600),
        TickWorkflow => WorkflowScripts.CompleteWith("tick"),
        _ => null,
    };

    /// <summary>
    /// One poll, retried with the same <c>poll_request_id</c> through transient failures. Null when the worker must stop:
    /// cancelled, or its cohort is draining.
    /// </summary>
    private static async Task<JsonObject?> PollAsync(TestWorker.TestWorker worker, string prefix, Func<string, CancellationToken, Task<WireResponse>> poll, CancellationToken stop)
    {
        var pollRequestId = TestWorker.TestWorker.NewPollRequestId(prefix);
        while (!stop.IsCancellationRequested)
        {
            WireResponse response;
            try
            {
                response = await poll(pollRequestId, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                await Pause(stop);
                continue;
            }

            switch (response.StatusCode)
            {
                case 200:
                    return response.Json;
                case 409 when response.Reason == "worker_draining":
                    Console.WriteLine($"worker {worker.WorkerId}: cohort draining, leaving");
                    return null;
                case 502 or 503 or 504:
                    await Pause(stop);
                    continue;
                default:
                    Console.WriteLine($"worker {worker.WorkerId}: poll answered {response}");
                    await Pause(stop);
                    pollRequestId = TestWorker.TestWorker.NewPollRequestId(prefix);
                    continue;
            }
        }

        return null;
    }

    private static async Task HeartbeatLoopAsync(TestWorker.TestWorker worker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(3), stop);
                await worker.HeartbeatAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HttpRequestException)
            {
                // The next beat goes through another node.
            }
        }
    }

    /// <summary>Retries a call through transport errors and 502/503/504 (and any non-2xx when <paramref name="requireSuccess"/>).</summary>
    private static async Task<WireResponse> Retry(Func<CancellationToken, Task<WireResponse>> call, bool requireSuccess, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var response = await call(cancellationToken);
                if (response.StatusCode is 502 or 503 or 504 || (requireSuccess && response.StatusCode is < 200 or >= 300))
                {
                    await Task.Delay(200, cancellationToken);
                    continue;
                }

                return response;
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>Every history page of the task, retried through transient failures; null when the server refuses.</summary>
    private static async Task<IReadOnlyList<JsonObject>?> HistoryAsync(TestWorker.TestWorker worker, WorkflowTask task)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                return await worker.FullHistoryAsync(task, CancellationToken.None);
            }
            catch (WireException ex) when (ex.Response?.StatusCode is not (502 or 503 or 504))
            {
                Console.WriteLine($"history of {task.TaskId}: {ex.Message}");
                return null;
            }
            catch (Exception ex) when (ex is WireException or HttpRequestException or OperationCanceledException)
            {
                await Task.Delay(200);
            }
        }

        return null;
    }

    private static async Task Pause(CancellationToken stop)
    {
        try
        {
            await Task.Delay(200, stop);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
