using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// Parked task polls are claimants of their queue's wake channel: a new task wakes one of them, and one that cannot
/// take it wakes the others, so a task only some workers may claim still reaches one of them without waiting for the
/// queue's re-probe.
/// </summary>
public sealed class ParkedPollWakeTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_task_the_longest_parked_poll_may_not_claim_reaches_a_parked_poll_that_may()
    {
        using var harness = await WorkflowHarness.CreateAsync(server, new JsonObject { ["supported_workflow_types"] = new JsonArray("other-type") });
        var capable = $"w-{Guid.NewGuid():N}";
        await harness.WorkerPostAsync("/api/worker/register", new JsonObject
        {
            ["worker_id"] = capable, ["task_queue"] = harness.Queue, ["runtime"] = "python", ["supported_workflow_types"] = new JsonArray("wanted"),
        }, HttpStatusCode.Created);

        // The incapable worker parks first, so the start's wake goes to it.
        var incapablePoll = PollAsync(harness, harness.WorkerId);
        await Task.WhenAny(incapablePoll, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.False(incapablePoll.IsCompleted, "the incapable worker's poll answered before any task existed");
        var capablePoll = PollAsync(harness, capable);
        await Task.WhenAny(capablePoll, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.False(capablePoll.IsCompleted, "the capable worker's poll answered before any task existed");

        var run = await harness.StartAsync("wanted");
        var sinceStart = Stopwatch.StartNew();
        var answer = await capablePoll;

        Assert.Equal((string?)run["run_id"], (string?)answer["task"]!["run_id"]);
        Assert.True(sinceStart.Elapsed < LongPoll.ReprobeInterval / 2,
            $"the capable poll claimed {sinceStart.Elapsed.TotalSeconds:F1} s after the start, as late as the queue's re-probe");
        Assert.False(incapablePoll.IsCompleted, "the incapable worker's poll answered");
    }

    [Fact]
    public async Task three_tasks_committed_together_reach_three_parked_polls()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();
        var task = await harness.PollAsync();
        var workers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var workerId = $"w-{Guid.NewGuid():N}";
            await harness.WorkerPostAsync("/api/worker/register",
                new JsonObject { ["worker_id"] = workerId, ["task_queue"] = harness.Queue, ["runtime"] = "python" }, HttpStatusCode.Created);
            workers.Add(workerId);
        }

        var polls = workers.Select(w => ActivityPollAsync(harness, w)).ToList();
        await Task.WhenAny(Task.WhenAny(polls), Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.DoesNotContain(polls, p => p.IsCompleted);

        await harness.CompleteAsync(task, [.. Enumerable.Range(0, 3).Select(i => new JsonObject
        {
            ["type"] = "schedule_activity", ["activity_type"] = $"step-{i}", ["task_queue"] = harness.Queue,
        })]);
        var sinceComplete = Stopwatch.StartNew();
        var answers = await Task.WhenAll(polls);

        Assert.Equal(3, answers.Select(a => (string?)a["task"]?["task_id"]).Where(id => id is not null).Distinct().Count());
        Assert.True(sinceComplete.Elapsed < LongPoll.ReprobeInterval / 2,
            $"the three polls had their tasks {sinceComplete.Elapsed.TotalSeconds:F1} s after the commit, as late as the queue's re-probe");
    }

    private static Task<JsonObject> PollAsync(WorkflowHarness harness, string workerId) =>
        harness.WorkerPostAsync("/api/worker/workflow-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 20 }, HttpStatusCode.OK);

    private static Task<JsonObject> ActivityPollAsync(WorkflowHarness harness, string workerId) =>
        harness.WorkerPostAsync("/api/worker/activity-tasks/poll",
            new JsonObject { ["worker_id"] = workerId, ["task_queue"] = harness.Queue, ["timeout_seconds"] = 20 }, HttpStatusCode.OK);
}
