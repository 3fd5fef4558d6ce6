using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Workers;

/// <summary>
/// The seed's worker cutover end to end over the HTTP worker plane (rollout contract §6, issue 9 "Tests"): cohort
/// <c>old</c> holds work in flight, cohort <c>new</c> comes online, <c>old</c> is drained, finishes what it holds and
/// claims nothing more, <c>new</c> takes every later task, <c>old</c>'s live counts fall to zero, and a resume
/// (rollback) lets <c>old</c> claim again. History proves nothing was lost or run twice.
/// </summary>
public sealed class WorkerCutoverScenarioTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string OldWorkflowWorker = "old-1";
    private const string OldActivityWorker = "old-2";
    private const string NewWorkflowWorker = "new-1";
    private const string NewActivityWorker = "new-2";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Draining_old_cohort_hands_all_new_work_to_new_cohort_and_a_resume_rolls_back_with_no_task_lost_or_run_twice()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        await fleet.RegisterAsync(OldWorkflowWorker, queue, "old");
        await fleet.RegisterAsync(OldActivityWorker, queue, "old");

        var runs = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            runs.Add((string)(await fleet.StartAsync(queue))["run_id"]!);
        }

        // old holds one activity task and one workflow task in flight; two workflow tasks stay ready.
        var first = await PollWorkflowAsync(fleet, OldWorkflowWorker, queue);
        await fleet.CompleteAsync(OldWorkflowWorker, first, ScheduleActivity(queue));
        var heldActivity = await PollActivityAsync(fleet, OldActivityWorker, queue);
        var heldWorkflowTask = await PollWorkflowAsync(fleet, OldWorkflowWorker, queue);
        var claimedByOldBeforeDrain = await TaskIdsLeasedByAsync(queue, "old-%");
        Assert.Equal(3, claimedByOldBeforeDrain.Count);

        await fleet.RegisterAsync(NewWorkflowWorker, queue, "new");
        await fleet.RegisterAsync(NewActivityWorker, queue, "new");
        var bothOnline = await CohortsAsync(fleet, queue);
        Assert.Equal("active", (string?)bothOnline["old"]["rollout_status"]);
        Assert.Equal("active", (string?)bothOnline["new"]["rollout_status"]);
        Assert.Equal(2, (int)bothOnline["old"]["active_worker_count"]!);
        Assert.Equal(2, (int)bothOnline["new"]["active_worker_count"]!);

        var drained = await fleet.ControlPostAsync($"/api/task-queues/{queue}/build-ids/drain", new JsonObject { ["build_id"] = "old" }, HttpStatusCode.OK);
        Assert.Equal("draining", (string?)drained["drain_intent"]);
        var afterDrain = await CohortsAsync(fleet, queue);
        Assert.Equal("draining", (string?)afterDrain["old"]["rollout_status"]);
        Assert.Equal(0, (int)afterDrain["old"]["active_worker_count"]!);
        Assert.Equal(2, (int)afterDrain["old"]["draining_worker_count"]!);
        Assert.Equal("active", (string?)afterDrain["new"]["rollout_status"]);

        // Ready work exists, yet the drained cohort's polls are refused and leave every task row as it was.
        var tasksBeforeRefusedPolls = await TasksSnapshotAsync(queue);
        await AssertOldPollsRefusedAsync(fleet, queue);
        Assert.Equal(tasksBeforeRefusedPolls, await TasksSnapshotAsync(queue));

        // Work old already holds still finishes: activity heartbeat and completion, workflow-task completion.
        var beat = await fleet.WorkerPostAsync($"/api/worker/activity-tasks/{heldActivity["task_id"]}/heartbeat", new JsonObject
        {
            ["activity_attempt_id"] = heldActivity["activity_attempt_id"]!.DeepClone(),
            ["lease_owner"] = OldActivityWorker,
            ["message"] = "still draining",
        }, HttpStatusCode.OK);
        Assert.True((bool)beat["heartbeat_recorded"]!);
        await CompleteActivityAsync(fleet, OldActivityWorker, heldActivity);
        await fleet.CompleteAsync(OldWorkflowWorker, heldWorkflowTask, ScheduleActivity(queue));

        for (var i = 0; i < 2; i++)
        {
            runs.Add((string)(await fleet.StartAsync(queue))["run_id"]!);
        }

        await DriveWithNewCohortAsync(fleet, queue, runs);

        Assert.Equal(claimedByOldBeforeDrain, await TaskIdsLeasedByAsync(queue, "old-%"));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_activity_attempts a JOIN workflow_tasks t ON t.id = a.task_id WHERE t.task_queue = '{queue}' AND a.lease_owner LIKE 'old-%' AND a.task_id <> '{heldActivity["task_id"]}'"));

        // old's live counts fall to zero as its workers leave: one deregisters, the other stops heartbeating.
        await fleet.WorkerDeleteAsync($"/api/worker/registrations/{OldWorkflowWorker}", HttpStatusCode.OK);
        await database.ExecuteAsync($"UPDATE workflow_worker_registrations SET last_heartbeat_at = now() - interval '5 minutes' WHERE worker_id = '{OldActivityWorker}'");
        var gone = (await CohortsAsync(fleet, queue))["old"];
        Assert.Equal(0, (int)gone["active_worker_count"]!);
        Assert.Equal(0, (int)gone["draining_worker_count"]!);
        Assert.Equal(1, (int)gone["stale_worker_count"]!);

        // Rollback: a resume of old makes its next poll admitted, and it claims work again.
        var resumed = await fleet.ControlPostAsync($"/api/task-queues/{queue}/build-ids/resume", new JsonObject { ["build_id"] = "old" }, HttpStatusCode.OK);
        Assert.Equal("active", (string?)resumed["drain_intent"]);
        var rollbackRun = (string)(await fleet.StartAsync(queue))["run_id"]!;
        runs.Add(rollbackRun);
        var reclaimed = await PollWorkflowAsync(fleet, OldActivityWorker, queue);
        Assert.Equal(rollbackRun, (string?)reclaimed["run_id"]);
        await fleet.CompleteAsync(OldActivityWorker, reclaimed, CompleteWorkflow());
        await fleet.WorkerPostAsync("/api/worker/heartbeat", new JsonObject { ["worker_id"] = OldActivityWorker }, HttpStatusCode.OK);
        var rolledBack = (await CohortsAsync(fleet, queue))["old"];
        Assert.Equal("active", (string?)rolledBack["rollout_status"]);
        Assert.Equal(1, (int)rolledBack["active_worker_count"]!);

        await AssertEveryRunCompletedExactlyOnceAsync(runs);
    }

    private async Task DriveWithNewCohortAsync(FleetClient fleet, string queue, IReadOnlyCollection<string> runs)
    {
        var inList = string.Join(",", runs.Select(r => $"'{r}'"));
        await HttpAssert.EventuallyAsync(async () =>
        {
            var activity = await fleet.PollActivityAsync(NewActivityWorker, queue);
            if (activity is not null)
            {
                await CompleteActivityAsync(fleet, NewActivityWorker, activity);
            }

            var workflowTask = await fleet.PollWorkflowAsync(NewWorkflowWorker, queue, activity is null ? 1 : 0);
            if (workflowTask is not null)
            {
                var finished = WorkflowHarness.EventTypes(workflowTask).Contains("ActivityCompleted");
                await fleet.CompleteAsync(NewWorkflowWorker, workflowTask, finished ? CompleteWorkflow() : ScheduleActivity(queue));
            }

            await AssertOldPollsRefusedAsync(fleet, queue);
            var open = await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_runs WHERE id IN ({inList}) AND status <> 'completed'");
            return (open == 0, $"{open} of {runs.Count} runs not completed");
        }, TimeSpan.FromSeconds(90));
    }

    private static async Task AssertOldPollsRefusedAsync(FleetClient fleet, string queue)
    {
        foreach (var (worker, kind) in new[] { (OldWorkflowWorker, "workflow"), (OldActivityWorker, "activity") })
        {
            var refused = await fleet.WorkerPostAsync(
                $"/api/worker/{kind}-tasks/poll",
                new JsonObject { ["worker_id"] = worker, ["task_queue"] = queue, ["timeout_seconds"] = 0 },
                HttpStatusCode.Conflict);
            Assert.Equal("worker_draining", (string?)refused["reason"]);
            Assert.True(refused.ContainsKey("task"));
            Assert.Null(refused["task"]);
        }
    }

    private async Task AssertEveryRunCompletedExactlyOnceAsync(IReadOnlyCollection<string> runs)
    {
        var inList = string.Join(",", runs.Select(r => $"'{r}'"));
        Assert.Equal(runs.Count, await database.ScalarAsync<long>(
            $"SELECT count(*) FROM workflow_runs WHERE id IN ({inList}) AND status = 'completed'"));
        var completions = await database.ScalarAsync<string>(
            $"""
            SELECT string_agg(n::text, ',' ORDER BY n) FROM (
              SELECT r.id, (SELECT count(*) FROM workflow_history_events h WHERE h.run_id = r.id AND h.event_type = 'WorkflowCompleted') n
                FROM workflow_runs r WHERE r.id IN ({inList})) c
            """);
        Assert.Equal(string.Join(",", runs.Select(_ => "1")), completions);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM (
              SELECT payload->>'activity_execution_id' FROM workflow_history_events
               WHERE run_id IN ({inList}) AND event_type = 'ActivityCompleted'
               GROUP BY 1 HAVING count(*) > 1) twice
            """));
        // Every run but the rollback one scheduled exactly one activity, and each of those completed.
        Assert.Equal(runs.Count - 1, await database.ScalarAsync<long>(
            $"SELECT count(DISTINCT payload->>'activity_execution_id') FROM workflow_history_events WHERE run_id IN ({inList}) AND event_type = 'ActivityCompleted'"));
    }

    private async Task<List<string>> TaskIdsLeasedByAsync(string queue, string ownerPattern) =>
        [.. ((await database.ScalarAsync<string>(
            $"SELECT string_agg(id, ',' ORDER BY id) FROM workflow_tasks WHERE task_queue = '{queue}' AND lease_owner LIKE '{ownerPattern}'")) ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries)];

    private async Task<string> TasksSnapshotAsync(string queue) =>
        await database.ScalarAsync<string>(
            $"SELECT json_agg(json_build_object('id', id, 's', status, 'o', lease_owner, 'a', attempt_count, 'u', updated_at) ORDER BY id)::text FROM workflow_tasks WHERE task_queue = '{queue}'")
        ?? string.Empty;

    private static async Task<Dictionary<string, JsonObject>> CohortsAsync(FleetClient fleet, string queue) =>
        (await fleet.ControlGetAsync($"/api/task-queues/{queue}/build-ids"))["build_ids"]!.AsArray()
            .Select(c => c!.AsObject())
            .ToDictionary(c => (string?)c["build_id"] ?? string.Empty);

    private static async Task<JsonObject> PollWorkflowAsync(FleetClient fleet, string workerId, string queue) =>
        await fleet.PollWorkflowAsync(workerId, queue, 5) ?? throw new InvalidOperationException($"{workerId} got no workflow task.");

    private static async Task<JsonObject> PollActivityAsync(FleetClient fleet, string workerId, string queue) =>
        await fleet.PollActivityAsync(workerId, queue, 5) ?? throw new InvalidOperationException($"{workerId} got no activity task.");

    private static Task<JsonObject> CompleteActivityAsync(FleetClient fleet, string workerId, JsonObject task) =>
        fleet.WorkerPostAsync($"/api/worker/activity-tasks/{task["task_id"]}/complete", new JsonObject
        {
            ["activity_attempt_id"] = task["activity_attempt_id"]!.DeepClone(),
            ["lease_owner"] = workerId,
            ["result"] = FleetClient.Blob.DeepClone(),
        }, HttpStatusCode.OK);

    private static JsonObject ScheduleActivity(string queue) => new()
    {
        ["type"] = "schedule_activity",
        ["activity_type"] = "charge",
        ["queue"] = queue,
        ["arguments"] = FleetClient.Blob.DeepClone(),
    };

    private static JsonObject CompleteWorkflow() => new() { ["type"] = "complete_workflow", ["result"] = FleetClient.Blob.DeepClone() };
}
