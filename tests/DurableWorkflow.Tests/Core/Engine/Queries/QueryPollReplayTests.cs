using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.Queries;

public sealed class QueryPollReplayTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_retried_query_poll_gets_the_same_lease_and_claims_nothing_new()
    {
        using var flow = new CommandFlow(server);
        await flow.RegisterAsync();
        var workflowId = (string)(await flow.StartAsync())["workflow_id"]!;
        var first = CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/query/status", "{}", HttpStatusCode.OK);
        var second = CommandFlow.PostAsync(flow.Control, $"/api/workflows/{workflowId}/query/status", "{}", HttpStatusCode.OK);
        var poll = new JsonObject { ["worker_id"] = CommandFlow.WorkerId, ["task_queue"] = flow.Queue, ["poll_request_id"] = "query-poll-0123", ["timeout_seconds"] = 10 };

        var leased = (await CommandFlow.PostAsync(flow.Worker, "/api/worker/query-tasks/poll", poll, HttpStatusCode.OK))["task"]!.AsObject();
        var retried = (await CommandFlow.PostAsync(flow.Worker, "/api/worker/query-tasks/poll", poll, HttpStatusCode.OK))["task"]!.AsObject();

        Assert.Equal((string?)leased["query_task_id"], (string?)retried["query_task_id"]);
        Assert.Equal(1, (int)retried["query_task_attempt"]!);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_query_tasks WHERE status = 'leased'"));
        foreach (var task in new[] { leased, (await CommandFlow.PostAsync(flow.Worker, "/api/worker/query-tasks/poll", new JsonObject { ["worker_id"] = CommandFlow.WorkerId, ["task_queue"] = flow.Queue, ["timeout_seconds"] = 10 }, HttpStatusCode.OK))["task"]!.AsObject() })
        {
            await CommandFlow.PostAsync(flow.Worker, $"/api/worker/query-tasks/{task["query_task_id"]}/complete", new JsonObject
            {
                ["lease_owner"] = CommandFlow.WorkerId,
                ["query_task_attempt"] = 1,
                ["result"] = "waiting",
                ["result_envelope"] = new JsonObject { ["codec"] = "avro", ["blob"] = "wwHioz3/VYAiNwoOd2FpdGluZw==" },
            }, HttpStatusCode.OK);
        }

        Assert.Equal("waiting", (string?)(await first)["result"]);
        Assert.Equal("waiting", (string?)(await second)["result"]);
    }
}
