using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Protocol;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.Tests.Cli;

/// <summary>Workers and runs set up over the wire for the CLI tests, as the SDKs would create them.</summary>
public static class CliFleet
{
    public static async Task<DurableWorkflow.TestWorker.TestWorker> RegisterAsync(ServerProcess server, string queue, string? buildId, params string[] workflowTypes)
    {
        var worker = server.Worker(queue, new TestWorkerOptions
        {
            BuildId = buildId,
            Workflows = workflowTypes.ToDictionary(t => t, _ => WorkflowScripts.CompleteWith(null)),
        });
        (await worker.RegisterAsync(CancellationToken.None)).Expect(HttpStatusCode.OK, HttpStatusCode.Created);
        return worker;
    }

    /// <summary>Starts a run; a <paramref name="buildId"/> stamps the run's compatibility marker (rollout contract §5.2).</summary>
    public static async Task<JsonObject> StartAsync(ServerProcess server, string workflowType, string queue, string workflowId, string? buildId = null)
    {
        var body = ControlClient.StartBody(workflowType, queue, null, workflowId);
        if (buildId is not null)
        {
            body["build_id"] = buildId;
        }

        using var control = server.Control();
        var response = (await control.StartWorkflowAsync(body, CancellationToken.None)).Expect(HttpStatusCode.OK, HttpStatusCode.Created);
        return response.Body!;
    }

    public static Dictionary<string, string?> Environment(ServerProcess server) => CliRun.Environment(server.BaseAddress, ServerProcess.Token);
}
