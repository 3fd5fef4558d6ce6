using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine.WorkflowTasks;

/// <summary>Outcomes that land while the run's workflow task is leased must reach the workflow through a later task.</summary>
public sealed class LeasedTaskOutcomeTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string Blob = "wwHioz3/VYAiNwoOd2FpdGluZw==";
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task an_activity_result_recorded_during_a_lease_gets_its_own_follow_up_task()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync();
        var first = await h.PollAsync();
        await h.CompleteAsync(first,
            new JsonObject { ["type"] = "schedule_activity", ["activity_type"] = "a", ["queue"] = h.Queue },
            new JsonObject { ["type"] = "schedule_activity", ["activity_type"] = "b", ["queue"] = h.Queue });
        var activityA = await PollActivityAsync(h);
        var activityB = await PollActivityAsync(h);

        await CompleteActivityAsync(h, activityA);
        var resumedForA = await h.PollAsync();
        await CompleteActivityAsync(h, activityB);
        var completion = await h.CompleteAsync(resumedForA, new JsonObject { ["type"] = "start_timer", ["delay_seconds"] = 3600 });
        var resumedForB = await h.PollAsync();

        Assert.Single(WorkflowHarness.EventTypes(resumedForA), t => t == "ActivityCompleted");
        Assert.Equal(2, completion["created_task_ids"]!.AsArray().Count);
        Assert.Equal(2, WorkflowHarness.EventTypes(resumedForB).Count(t => t == "ActivityCompleted"));
        Assert.Equal("waiting", (string?)completion["run_status"]);
    }

    private static async Task<JsonObject> PollActivityAsync(WorkflowHarness h) =>
        (await h.WorkerPostAsync("/api/worker/activity-tasks/poll", new JsonObject { ["worker_id"] = h.WorkerId, ["task_queue"] = h.Queue, ["timeout_seconds"] = 5 }, HttpStatusCode.OK))["task"]!.AsObject();

    private static Task<JsonObject> CompleteActivityAsync(WorkflowHarness h, JsonObject activity) =>
        h.WorkerPostAsync($"/api/worker/activity-tasks/{activity["task_id"]}/complete", new JsonObject
        {
            ["activity_attempt_id"] = activity["activity_attempt_id"]!.DeepClone(),
            ["lease_owner"] = h.WorkerId,
            ["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = Blob },
        }, HttpStatusCode.OK);
}
