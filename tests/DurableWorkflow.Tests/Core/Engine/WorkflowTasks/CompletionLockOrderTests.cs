using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.WorkflowTasks;

/// <summary>
/// A completion finds and locks its instance, run and task in one statement; it must still take them in the engine's
/// order (instance first), so a continue-as-new racing signals to the same workflow id never deadlocks.
/// </summary>
public sealed class CompletionLockOrderTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const int Workflows = 8;
    private const int SignalsEach = 3;
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task continue_as_new_completions_racing_signals_to_the_same_workflows_all_succeed()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        using var control = server.ControlClient();
        for (var i = 0; i < Workflows; i++)
        {
            await h.StartAsync();
        }

        var tasks = new List<JsonObject>();
        for (var i = 0; i < Workflows; i++)
        {
            tasks.Add(await h.PollAsync());
        }

        var statuses = await Task.WhenAll(tasks.SelectMany(task => (IEnumerable<Task<HttpStatusCode>>)
        [
            CompleteAsync(h, task),
            .. Enumerable.Range(0, SignalsEach).Select(n => SignalAsync(control, (string)task["workflow_id"]!, n)),
        ]));

        Assert.Equal(Workflows, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(Workflows * SignalsEach, statuses.Count(s => s == HttpStatusCode.Accepted));
        var ids = string.Join(", ", tasks.Select(t => $"'{t["workflow_id"]}'"));
        Assert.Equal(Workflows, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_instances i JOIN workflow_runs r ON r.id = i.current_run_id WHERE i.id IN ({ids}) AND r.run_number = 2"));
        Assert.Equal(Workflows * SignalsEach, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_signals s JOIN workflow_runs r ON r.id = s.run_id WHERE r.workflow_instance_id IN ({ids})"));
    }

    private static async Task<HttpStatusCode> CompleteAsync(WorkflowHarness h, JsonObject task)
    {
        using var response = await h.Worker.PostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/complete", ServerFactory.Json(new JsonObject
        {
            ["lease_owner"] = h.WorkerId,
            ["workflow_task_attempt"] = task["workflow_task_attempt"]!.DeepClone(),
            ["commands"] = new JsonArray(new JsonObject { ["type"] = "continue_as_new" }),
        }.ToJsonString()));
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> SignalAsync(HttpClient control, string workflowId, int n)
    {
        using var response = await control.PostAsync($"/api/workflows/{workflowId}/signal/ping-{n}", ServerFactory.Json("""{"input":[]}"""));
        return response.StatusCode;
    }
}
