using System.Net;
using System.Text.Json.Nodes;

namespace DurableWorkflow.TestWorker;

/// <summary>The control-plane calls of the Python <c>Client</c> (worker-protocol §8.2–§8.6, §9), over plain HTTP.</summary>
public sealed class ControlClient(Uri server, string? token = null, string @namespace = "default") : WireClient(server, token, @namespace)
{
    private static readonly HashSet<string> TerminalStatuses = new(StringComparer.Ordinal) { "completed", "failed", "terminated", "canceled", "cancelled" };

    public Task<WireResponse> ClusterInfoAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "/api/cluster/info", null, cancellationToken);

    /// <summary>The body <c>Client.start_workflow</c> sends: the input is always an envelope of the argument list.</summary>
    public static JsonObject StartBody(string workflowType, string taskQueue, JsonArray? arguments, string? workflowId = null) => new()
    {
        ["workflow_id"] = workflowId ?? $"wf-{Guid.NewGuid():N}",
        ["workflow_type"] = workflowType,
        ["task_queue"] = taskQueue,
        ["input"] = Payloads.Envelope(arguments ?? []),
        ["execution_timeout_seconds"] = 3600,
        ["run_timeout_seconds"] = 600,
    };

    public Task<WireResponse> StartWorkflowAsync(JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/workflows", body, cancellationToken);

    public Task<WireResponse> StartWorkflowAsync(string workflowType, string taskQueue, JsonArray? arguments, CancellationToken cancellationToken) =>
        StartWorkflowAsync(StartBody(workflowType, taskQueue, arguments), cancellationToken);

    public Task<WireResponse> DescribeAsync(string workflowId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"/api/workflows/{Uri.EscapeDataString(workflowId)}", null, cancellationToken);

    /// <summary><c>GET .../runs/{run_id}/history</c> with no query parameters, as <c>get_result</c> calls it.</summary>
    public Task<WireResponse> HistoryAsync(string workflowId, string runId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"/api/workflows/{Uri.EscapeDataString(workflowId)}/runs/{Uri.EscapeDataString(runId)}/history", null, cancellationToken);

    /// <summary><c>{}</c> without arguments, else <c>{"input": envelope}</c>.</summary>
    public Task<WireResponse> SignalAsync(string workflowId, string signalName, JsonArray? arguments, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"/api/workflows/{Uri.EscapeDataString(workflowId)}/signal/{Uri.EscapeDataString(signalName)}",
            arguments is null ? new JsonObject() : new JsonObject { ["input"] = Payloads.Envelope(arguments) }, cancellationToken);

    /// <summary>Blocks while the server routes the query to a worker (client timeout 60 s, like Python).</summary>
    public Task<WireResponse> QueryAsync(string workflowId, string queryName, JsonArray? arguments, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"/api/workflows/{Uri.EscapeDataString(workflowId)}/query/{Uri.EscapeDataString(queryName)}",
            arguments is null ? new JsonObject() : new JsonObject { ["input"] = Payloads.Envelope(arguments) }, cancellationToken);

    /// <summary>
    /// <c>Client.get_result</c>: describe every 0.5 s until the status is terminal, read the run's history (one page,
    /// no parameters) and scan it from the end for the terminal event.
    /// </summary>
    public async Task<WorkflowResult> GetResultAsync(string workflowId, TimeSpan budget, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + budget;
        JsonObject described;
        while (true)
        {
            described = (await DescribeAsync(workflowId, cancellationToken)).Expect(HttpStatusCode.OK).Json;
            if (TerminalStatuses.Contains((string?)described["status"] ?? string.Empty))
            {
                break;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new TimeoutException($"Workflow {workflowId} not terminal within {budget.TotalSeconds} s: {described.ToJsonString()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        var runId = (string)described["run_id"]!;
        var history = (await HistoryAsync(workflowId, runId, cancellationToken)).Expect(HttpStatusCode.OK).Json;
        var events = history["events"]!.AsArray();
        for (var i = events.Count - 1; i >= 0; i--)
        {
            var e = events[i]!.AsObject();
            var payload = e["payload"] as JsonObject ?? [];
            switch ((string?)e["event_type"])
            {
                case "WorkflowCompleted":
                    var codec = (string?)payload["payload_codec"] ?? (string?)described["payload_codec"];
                    if (codec != Payloads.Codec)
                    {
                        throw new InvalidOperationException($"unsupported_payload_codec: {codec}");
                    }

                    return new WorkflowResult((string)described["status"]!, runId, Payloads.Decode(payload["output"]), null, described, history);
                case "WorkflowFailed":
                    return new WorkflowResult((string)described["status"]!, runId, null, (string?)payload["message"], described, history);
                case "WorkflowTerminated" or "WorkflowCancelled":
                    return new WorkflowResult((string)described["status"]!, runId, null, (string?)payload["reason"], described, history);
                default:
                    break;
            }
        }

        return new WorkflowResult((string)described["status"]!, runId, null, null, described, history);
    }

    protected override void AddPlaneHeaders(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Add("X-Durable-Workflow-Control-Plane-Version", "2");
    }
}

/// <summary>What <c>get_result</c> found: the decoded output or the failure text, plus the raw describe and history bodies.</summary>
public sealed record WorkflowResult(string Status, string RunId, JsonNode? Output, string? Failure, JsonObject Describe, JsonObject History);
