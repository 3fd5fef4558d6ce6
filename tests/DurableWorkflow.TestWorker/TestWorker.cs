using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace DurableWorkflow.TestWorker;

/// <summary>Settings of a <see cref="TestWorker"/>; the defaults mirror the Python SDK's <c>Worker</c>.</summary>
public sealed record TestWorkerOptions
{
    public string? WorkerId { get; init; }

    public string? Token { get; init; }

    public string Namespace { get; init; } = "default";

    public string ProtocolVersion { get; init; } = "1.1";

    public string Runtime { get; init; } = "python";

    public string SdkVersion { get; init; } = "durable-workflow-python/2.0.0rc34";

    public string? BuildId { get; init; }

    /// <summary>Advertise <c>query_tasks</c> in <c>capabilities</c> (Python does when the server advertises it).</summary>
    public bool QueryTasks { get; init; } = true;

    public int MaxConcurrentWorkflowTasks { get; init; } = 10;

    public int MaxConcurrentActivityTasks { get; init; } = 10;

    public IReadOnlyDictionary<string, WorkflowScript> Workflows { get; init; } = new Dictionary<string, WorkflowScript>();

    public IReadOnlyDictionary<string, Func<JsonArray, JsonNode?>> Activities { get; init; } = new Dictionary<string, Func<JsonArray, JsonNode?>>();
}

/// <summary>
/// A worker that speaks worker protocol 1.1 over plain HTTP, call for call as the Python SDK does (worker-protocol §8):
/// lifecycle, workflow/activity/query polls with <c>poll_request_id</c> and <c>timeout_seconds</c>, history paging,
/// completions and failures. <see cref="RunAsync"/> runs Python's concurrent poll loops.
/// </summary>
public sealed class TestWorker : WireClient
{
    private readonly TestWorkerOptions options;

    public TestWorker(Uri server, string taskQueue, TestWorkerOptions? options = null)
        : base(server, options?.Token, options?.Namespace ?? "default")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskQueue);
        this.options = options ?? new TestWorkerOptions();
        TaskQueue = taskQueue;
        WorkerId = this.options.WorkerId ?? $"py-worker-{Guid.NewGuid().ToString("N")[..8]}";
    }

    public string WorkerId { get; }

    public string TaskQueue { get; }

    /// <summary>The long-poll hold the server advertised (cluster info / registration); Python adds 5 s to it.</summary>
    public int ServerLongPollTimeout { get; set; } = 30;

    /// <summary>Python's <c>wf-poll-&lt;32 hex&gt;</c>; reused only when a poll is retried.</summary>
    public static string NewPollRequestId(string prefix = "wf-poll") => $"{prefix}-{Guid.NewGuid():N}";

    // ---- lifecycle (§2) ----

    public Task<WireResponse> RegisterAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/worker/register", RegistrationBody(), cancellationToken);

    public JsonObject RegistrationBody()
    {
        var workflowTypes = options.Workflows.Keys.Order(StringComparer.Ordinal).ToList();
        var body = new JsonObject
        {
            ["worker_id"] = WorkerId,
            ["task_queue"] = TaskQueue,
            ["runtime"] = options.Runtime,
            ["sdk_version"] = options.SdkVersion,
            ["supported_workflow_types"] = Strings(workflowTypes),
            ["supported_activity_types"] = Strings(options.Activities.Keys.Order(StringComparer.Ordinal)),
            ["workflow_definition_fingerprints"] = new JsonObject(workflowTypes.Select(t =>
                KeyValuePair.Create(t, (JsonNode?)Commands.Fingerprint($"testworker:{t}")))),
            ["workflow_command_contracts"] = new JsonObject(workflowTypes.Select(t => KeyValuePair.Create(t, (JsonNode?)new JsonObject
            {
                ["queries"] = new JsonArray(),
                ["query_contracts"] = new JsonArray(),
                ["signals"] = new JsonArray(),
                ["signal_contracts"] = new JsonArray(),
                ["updates"] = new JsonArray(),
                ["update_contracts"] = new JsonArray(),
                ["update_validators"] = new JsonArray(),
            }))),
            ["capabilities"] = options.QueryTasks ? new JsonArray("query_tasks") : new JsonArray(),
            ["max_concurrent_workflow_tasks"] = options.MaxConcurrentWorkflowTasks,
            ["max_concurrent_activity_tasks"] = options.MaxConcurrentActivityTasks,
            ["task_slots"] = TaskSlots(),
            ["process_metrics"] = ProcessMetrics(),
        };
        if (options.BuildId is not null)
        {
            body["build_id"] = options.BuildId;
        }

        return body;
    }

    public Task<WireResponse> HeartbeatAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/worker/heartbeat", new JsonObject
        {
            ["worker_id"] = WorkerId,
            ["task_slots"] = TaskSlots(),
            ["process_metrics"] = ProcessMetrics(),
        }, cancellationToken);

    /// <summary><c>DELETE /api/worker/registrations/{worker_id}</c>, no body, worker header (§8.8).</summary>
    public Task<WireResponse> DeregisterAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"/api/worker/registrations/{Uri.EscapeDataString(WorkerId)}", null, cancellationToken);

    // ---- workflow tasks (§3) ----

    public JsonObject WorkflowPollBody(int timeoutSeconds, string pollRequestId)
    {
        var body = new JsonObject
        {
            ["worker_id"] = WorkerId,
            ["task_queue"] = TaskQueue,
            ["poll_request_id"] = pollRequestId,
            ["timeout_seconds"] = timeoutSeconds,
        };
        if (options.BuildId is not null)
        {
            body["build_id"] = options.BuildId;
        }

        return body;
    }

    /// <summary>One workflow poll; the HTTP timeout is Python's <c>max(timeout + 5, long_poll_timeout + 5)</c>.</summary>
    public Task<WireResponse> PollWorkflowTaskRawAsync(int timeoutSeconds, string pollRequestId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/worker/workflow-tasks/poll", WorkflowPollBody(timeoutSeconds, pollRequestId), cancellationToken, PollTimeout(timeoutSeconds));

    /// <summary>Polls once with a fresh <c>poll_request_id</c>; null when the server answered <c>{"task": null}</c>.</summary>
    public async Task<WorkflowTask?> PollWorkflowTaskAsync(int timeoutSeconds, CancellationToken cancellationToken)
    {
        var response = (await PollWorkflowTaskRawAsync(timeoutSeconds, NewPollRequestId(), cancellationToken)).Expect(HttpStatusCode.OK);
        return response.Json["task"] is JsonObject task ? new WorkflowTask(task) : null;
    }

    public Task<WireResponse> HistoryPageRawAsync(WorkflowTask task, string nextHistoryPageToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SendAsync(HttpMethod.Post, $"/api/worker/workflow-tasks/{task.TaskId}/history", new JsonObject
        {
            ["next_history_page_token"] = nextHistoryPageToken,
            ["lease_owner"] = WorkerId,
            ["workflow_task_attempt"] = task.Attempt,
        }, cancellationToken);
    }

    /// <summary>The first page from the poll plus every further page, as Python loops until the token is null.</summary>
    public async Task<IReadOnlyList<JsonObject>> FullHistoryAsync(WorkflowTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var events = new List<JsonObject>(task.HistoryEvents);
        var token = task.NextHistoryPageToken;
        while (token is not null)
        {
            var page = (await HistoryPageRawAsync(task, token, cancellationToken)).Expect(HttpStatusCode.OK).Json;
            events.AddRange(WorkflowTask.Events(page["history_events"]));
            token = (string?)page["next_history_page_token"];
        }

        return events;
    }

    public Task<WireResponse> CompleteWorkflowTaskAsync(WorkflowTask task, IEnumerable<JsonObject> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return CompleteWorkflowTaskAsync(task.TaskId, task.Attempt, commands, cancellationToken);
    }

    public Task<WireResponse> CompleteWorkflowTaskAsync(string taskId, int attempt, IEnumerable<JsonObject> commands, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"/api/worker/workflow-tasks/{taskId}/complete", new JsonObject
        {
            ["lease_owner"] = WorkerId,
            ["workflow_task_attempt"] = attempt,
            ["commands"] = new JsonArray([.. commands.Select(c => (JsonNode?)c.DeepClone())]),
        }, cancellationToken);

    public Task<WireResponse> FailWorkflowTaskAsync(WorkflowTask task, string message, string? type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var failure = new JsonObject { ["message"] = message };
        if (type is not null)
        {
            failure["type"] = type;
            failure["stack_trace"] = $"Traceback (most recent call last):\n  {type}: {message}";
        }

        return SendAsync(HttpMethod.Post, $"/api/worker/workflow-tasks/{task.TaskId}/fail", new JsonObject
        {
            ["lease_owner"] = WorkerId,
            ["workflow_task_attempt"] = task.Attempt,
            ["failure"] = failure,
        }, cancellationToken);
    }

    /// <summary>
    /// Python's handling of one workflow task: page the history, check the codec, run the definition and complete, or
    /// report <c>/fail</c> for an unknown type or codec.
    /// </summary>
    public async Task<WorkflowTaskOutcome> ExecuteWorkflowTaskAsync(WorkflowTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var history = await FullHistoryAsync(task, cancellationToken);
        if (task.PayloadCodec != Payloads.Codec)
        {
            var failed = await FailWorkflowTaskAsync(task, $"unsupported_payload_codec: {task.PayloadCodec}", "UnsupportedPayloadCodec", cancellationToken);
            return new WorkflowTaskOutcome(task, history, [], failed);
        }

        if (!options.Workflows.TryGetValue(task.WorkflowType, out var script))
        {
            var failed = await FailWorkflowTaskAsync(task, $"no workflow registered for type '{task.WorkflowType}'", null, cancellationToken);
            return new WorkflowTaskOutcome(task, history, [], failed);
        }

        var commands = script(new WorkflowReplay(task, history));
        var completed = await CompleteWorkflowTaskAsync(task, commands, cancellationToken);
        return new WorkflowTaskOutcome(task, history, commands, completed);
    }

    // ---- activity tasks (§4) ----

    public Task<WireResponse> PollActivityTaskRawAsync(int timeoutSeconds, string pollRequestId, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["worker_id"] = WorkerId,
            ["task_queue"] = TaskQueue,
            ["poll_request_id"] = pollRequestId,
            ["timeout_seconds"] = timeoutSeconds,
        };
        if (options.BuildId is not null)
        {
            body["build_id"] = options.BuildId;
        }

        return SendAsync(HttpMethod.Post, "/api/worker/activity-tasks/poll", body, cancellationToken, PollTimeout(timeoutSeconds));
    }

    public async Task<ActivityTask?> PollActivityTaskAsync(int timeoutSeconds, CancellationToken cancellationToken)
    {
        var response = (await PollActivityTaskRawAsync(timeoutSeconds, NewPollRequestId("activity-poll"), cancellationToken)).Expect(HttpStatusCode.OK);
        return response.Json["task"] is JsonObject task ? new ActivityTask(task) : null;
    }

    public Task<WireResponse> CompleteActivityTaskAsync(ActivityTask task, JsonNode? result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SendAsync(HttpMethod.Post, $"/api/worker/activity-tasks/{task.TaskId}/complete", new JsonObject
        {
            ["activity_attempt_id"] = task.AttemptId,
            ["lease_owner"] = WorkerId,
            ["result"] = Payloads.Envelope(result),
        }, cancellationToken);
    }

    public Task<WireResponse> FailActivityTaskAsync(ActivityTask task, string message, string type, bool nonRetryable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SendAsync(HttpMethod.Post, $"/api/worker/activity-tasks/{task.TaskId}/fail", new JsonObject
        {
            ["activity_attempt_id"] = task.AttemptId,
            ["lease_owner"] = WorkerId,
            ["failure"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = type,
                ["class"] = $"app.errors.{type}",
                ["stack_trace"] = $"Traceback (most recent call last):\n  {type}: {message}",
                ["non_retryable"] = nonRetryable,
            },
        }, cancellationToken);
    }

    public Task<WireResponse> HeartbeatActivityTaskAsync(ActivityTask task, JsonObject? details, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SendAsync(HttpMethod.Post, $"/api/worker/activity-tasks/{task.TaskId}/heartbeat", new JsonObject
        {
            ["activity_attempt_id"] = task.AttemptId,
            ["lease_owner"] = WorkerId,
            ["details"] = details?.DeepClone() ?? new JsonObject(),
        }, cancellationToken);
    }

    /// <summary>Runs the registered activity handler and reports its result (or its exception as a failure).</summary>
    public async Task<WireResponse> ExecuteActivityTaskAsync(ActivityTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!options.Activities.TryGetValue(task.ActivityType, out var handler))
        {
            return await SendAsync(HttpMethod.Post, $"/api/worker/activity-tasks/{task.TaskId}/fail", new JsonObject
            {
                ["activity_attempt_id"] = task.AttemptId,
                ["lease_owner"] = WorkerId,
                ["failure"] = new JsonObject { ["message"] = $"no activity registered for type '{task.ActivityType}'" },
            }, cancellationToken);
        }

        JsonNode? result;
        try
        {
            result = handler(task.Arguments);
        }
        catch (InvalidOperationException ex)
        {
            return await FailActivityTaskAsync(task, ex.Message, ex.GetType().Name, nonRetryable: false, cancellationToken);
        }

        return await CompleteActivityTaskAsync(task, result, cancellationToken);
    }

    // ---- query tasks (§5) ----

    public Task<WireResponse> PollQueryTaskRawAsync(int timeoutSeconds, string pollRequestId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/worker/query-tasks/poll", new JsonObject
        {
            ["worker_id"] = WorkerId,
            ["task_queue"] = TaskQueue,
            ["poll_request_id"] = pollRequestId,
            ["timeout_seconds"] = timeoutSeconds,
        }, cancellationToken, PollTimeout(timeoutSeconds));

    public async Task<QueryTask?> PollQueryTaskAsync(int timeoutSeconds, CancellationToken cancellationToken)
    {
        var response = (await PollQueryTaskRawAsync(timeoutSeconds, NewPollRequestId("query-poll"), cancellationToken)).Expect(HttpStatusCode.OK);
        return response.Json["task"] is JsonObject task ? new QueryTask(task) : null;
    }

    /// <summary>Python sends the plain value as <c>result</c> and its Avro envelope as <c>result_envelope</c>.</summary>
    public Task<WireResponse> CompleteQueryTaskAsync(QueryTask task, JsonNode? result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SendAsync(HttpMethod.Post, $"/api/worker/query-tasks/{task.QueryTaskId}/complete", new JsonObject
        {
            ["lease_owner"] = WorkerId,
            ["query_task_attempt"] = task.Attempt,
            ["result"] = result?.DeepClone(),
            ["result_envelope"] = Payloads.Envelope(result),
        }, cancellationToken);
    }

    public Task<WireResponse> FailQueryTaskAsync(QueryTask task, string message, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return SendAsync(HttpMethod.Post, $"/api/worker/query-tasks/{task.QueryTaskId}/fail", new JsonObject
        {
            ["lease_owner"] = WorkerId,
            ["query_task_attempt"] = task.Attempt,
            ["failure"] = new JsonObject { ["message"] = message, ["reason"] = reason },
        }, cancellationToken);
    }

    // ---- Python's Worker.run(): concurrent loops until cancelled ----

    /// <summary>
    /// Runs a workflow loop and an activity loop concurrently until <paramref name="cancellationToken"/> fires. Each
    /// loop re-polls at once after an empty answer and waits 1 s after an error, as Python does.
    /// </summary>
    public async Task RunAsync(int pollTimeoutSeconds, WorkerObserver? observer, CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            LoopAsync(async token =>
            {
                if (await PollWorkflowTaskAsync(pollTimeoutSeconds, token) is { } task)
                {
                    observer?.WorkflowTaskReceived?.Invoke(task);
                    var outcome = await ExecuteWorkflowTaskAsync(task, token);
                    observer?.WorkflowTaskCompleted?.Invoke(outcome);
                }
            }, observer, cancellationToken),
            LoopAsync(async token =>
            {
                if (await PollActivityTaskAsync(pollTimeoutSeconds, token) is { } task)
                {
                    var response = await ExecuteActivityTaskAsync(task, token);
                    observer?.ActivityTaskCompleted?.Invoke(task, response);
                }
            }, observer, cancellationToken));
    }

    protected override void AddPlaneHeaders(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Add("X-Durable-Workflow-Protocol-Version", options.ProtocolVersion);
    }

    private static async Task LoopAsync(Func<CancellationToken, Task> iteration, WorkerObserver? observer, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await iteration(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WireException or HttpRequestException or OperationCanceledException)
            {
                observer?.Error?.Invoke(ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private TimeSpan PollTimeout(int timeoutSeconds) =>
        TimeSpan.FromSeconds(Math.Max(timeoutSeconds + 5, ServerLongPollTimeout + 5));

    private JsonObject TaskSlots() => new()
    {
        ["workflow_available"] = options.MaxConcurrentWorkflowTasks,
        ["activity_available"] = options.MaxConcurrentActivityTasks,
    };

    private static JsonObject ProcessMetrics()
    {
        using var process = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["process_uptime_seconds"] = (int)(DateTime.Now - process.StartTime).TotalSeconds,
            ["process_id"] = Environment.ProcessId,
            ["process_started_at"] = process.StartTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["host"] = Environment.MachineName,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);
}

/// <summary>The result of handling one workflow task: the replayed history, the commands sent and the server's answer.</summary>
public sealed record WorkflowTaskOutcome(WorkflowTask Task, IReadOnlyList<JsonObject> History, IReadOnlyList<JsonObject> Commands, WireResponse Response);

/// <summary>Optional callbacks of <see cref="TestWorker.RunAsync"/> (used by the benchmark to time and count).</summary>
public sealed class WorkerObserver
{
    public Action<WorkflowTask>? WorkflowTaskReceived { get; init; }

    public Action<WorkflowTaskOutcome>? WorkflowTaskCompleted { get; init; }

    public Action<ActivityTask, WireResponse>? ActivityTaskCompleted { get; init; }

    public Action<Exception>? Error { get; init; }
}
