using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;
using Xunit.Abstractions;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>
/// Which retried completions get the stored answer (worker-protocol §3.4.4): only an identical one. A different body
/// for a task that is no longer leased is refused with the guard's reason and writes nothing.
/// </summary>
public sealed class CompletionReplayTests(ProtocolServer fixture, ITestOutputHelper output)
    : ProtocolTest(output, fixture.Server), IClassFixture<ProtocolServer>
{
    private ServerProcess Server => fixture.Server;

    private string Db => fixture.Database.ConnectionString;

    [Fact]
    public async Task Defect3_second_different_completion_is_refused_and_changes_nothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        var runId = (string)ProtocolAssert.Ok(await control.StartWorkflowAsync("defect3", queue, [], ct), HttpStatusCode.Created)["run_id"]!;
        var task = await worker.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(task);
        JsonObject[] first = [Commands.StartTimer(3600)];
        var answer = await worker.CompleteWorkflowTaskAsync(task, first, ct);
        ProtocolAssert.WorkerEnvelope(answer.Expect(HttpStatusCode.OK));

        var eventsBefore = await HistoryCountAsync(runId);
        var rowBefore = await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId);
        var runBefore = await RunRowAsync(runId);
        var countsBefore = await DatabaseSnapshot.CountsAsync(Db);

        // Same owner, same attempt, different commands: not a retry of the first completion.
        var different = await worker.CompleteWorkflowTaskAsync(task, [Commands.CompleteWorkflow("other")], ct);
        ProtocolAssert.WorkerError(different, HttpStatusCode.Conflict, "task_not_leased");
        Assert.NotEqual(true, (bool?)different.Json["recorded"]);
        Assert.Equal(task.TaskId, (string?)different.Json["task_id"]);
        Assert.Equal(task.Attempt, (int)different.Json["workflow_task_attempt"]!);

        Assert.Equal(eventsBefore, await HistoryCountAsync(runId));
        Assert.Equal(rowBefore, await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId));
        Assert.Equal(runBefore, await RunRowAsync(runId));
        Assert.Equal(countsBefore, await DatabaseSnapshot.CountsAsync(Db));

        // The identical retry still gets the first answer after the refusal.
        var retried = await worker.CompleteWorkflowTaskAsync(task, first, ct);
        Assert.True(retried.Status == HttpStatusCode.OK, $"identical retry: {retried}");
        Assert.True(JsonNode.DeepEquals(answer.Json, retried.Json), $"first: {answer.Text}\nretried: {retried.Text}");
        Assert.Equal(countsBefore, await DatabaseSnapshot.CountsAsync(Db));
    }

    [Fact]
    public async Task Defect3_different_completion_after_the_run_completed_is_refused_with_run_closed_and_changes_nothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        var runId = (string)ProtocolAssert.Ok(await control.StartWorkflowAsync("defect3-closed", queue, [], ct), HttpStatusCode.Created)["run_id"]!;
        var task = await worker.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(task);
        var done = ProtocolAssert.WorkerEnvelope((await worker.CompleteWorkflowTaskAsync(task, [Commands.CompleteWorkflow("first")], ct)).Expect(HttpStatusCode.OK));
        Assert.Equal("completed", (string?)done["run_status"]);

        var eventsBefore = await HistoryCountAsync(runId);
        var rowBefore = await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId);
        var runBefore = await RunRowAsync(runId);
        var countsBefore = await DatabaseSnapshot.CountsAsync(Db);

        var different = await worker.CompleteWorkflowTaskAsync(task, [Commands.CompleteWorkflow("second")], ct);
        ProtocolAssert.WorkerError(different, HttpStatusCode.Conflict, "run_closed");
        Assert.Equal("completed", (string?)different.Json["run_status"]);

        Assert.Equal(eventsBefore, await HistoryCountAsync(runId));
        Assert.Equal(rowBefore, await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId));
        Assert.Equal(runBefore, await RunRowAsync(runId));
        Assert.Equal(countsBefore, await DatabaseSnapshot.CountsAsync(Db));
    }

    [Fact]
    public async Task Defect3_second_different_activity_completion_is_refused_and_changes_nothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        var runId = (string)ProtocolAssert.Ok(await control.StartWorkflowAsync("defect3-activity", queue, [], ct), HttpStatusCode.Created)["run_id"]!;
        var workflowTask = await worker.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(workflowTask);
        ProtocolAssert.WorkerEnvelope((await worker.CompleteWorkflowTaskAsync(workflowTask, [Commands.ScheduleActivity("charge", queue)], ct))
            .Expect(HttpStatusCode.OK));
        var activity = await worker.PollActivityTaskAsync(5, ct);
        Assert.NotNull(activity);
        ProtocolAssert.WorkerEnvelope((await worker.CompleteActivityTaskAsync(activity, "first", ct)).Expect(HttpStatusCode.OK));

        var eventsBefore = await HistoryCountAsync(runId);
        var rowBefore = await DatabaseSnapshot.TaskRowAsync(Db, activity.TaskId);
        var countsBefore = await DatabaseSnapshot.CountsAsync(Db);

        var different = await worker.CompleteActivityTaskAsync(activity, "second", ct);
        ProtocolAssert.WorkerError(different, HttpStatusCode.Conflict, "stale_attempt");
        Assert.Equal(false, (bool?)different.Json["recorded"]);

        Assert.Equal(eventsBefore, await HistoryCountAsync(runId));
        Assert.Equal(rowBefore, await DatabaseSnapshot.TaskRowAsync(Db, activity.TaskId));
        Assert.Equal(countsBefore, await DatabaseSnapshot.CountsAsync(Db));
        Assert.Equal(1, await DatabaseSnapshot.ScalarAsync(Db,
            "SELECT count(*) FROM workflow_history_events WHERE run_id = $1 AND event_type = 'ActivityCompleted'", runId));
    }

    [Fact]
    public async Task the_stored_answer_names_the_follow_up_task_created_for_a_signal_that_arrived_during_the_lease()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        var started = ProtocolAssert.Ok(await control.StartWorkflowAsync("follow-up", queue, [], ct), HttpStatusCode.Created);
        var task = await worker.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(task);
        ProtocolAssert.Ok(await control.SignalAsync((string)started["workflow_id"]!, "poke", [], ct), HttpStatusCode.Accepted);

        JsonObject[] commands = [Commands.StartTimer(3600)];
        var answer = ProtocolAssert.WorkerEnvelope((await worker.CompleteWorkflowTaskAsync(task, commands, ct)).Expect(HttpStatusCode.OK));
        var created = answer["created_task_ids"]!.AsArray().Select(id => (string)id!).ToList();
        var followUp = await DatabaseSnapshot.ScalarAsync(Db,
            "SELECT count(*) FROM workflow_tasks WHERE run_id = $1 AND task_type = 'workflow' AND status = 'ready' AND id = ANY($2)",
            (string)started["run_id"]!, created.ToArray());
        Assert.Equal(1, followUp);

        var retried = await worker.CompleteWorkflowTaskAsync(task, commands, ct);
        Assert.True(retried.Status == HttpStatusCode.OK, $"identical retry: {retried}");
        Assert.Equal(created, retried.Json["created_task_ids"]!.AsArray().Select(id => (string)id!).ToList());
    }

    private Task<long> HistoryCountAsync(string runId) =>
        DatabaseSnapshot.ScalarAsync(Db, "SELECT count(*) FROM workflow_history_events WHERE run_id = $1", runId);

    private async Task<string> RunRowAsync(string runId)
    {
        var status = await DatabaseSnapshot.ScalarAsync(Db,
            "SELECT hashtext(row_to_json(r)::text) FROM workflow_runs r WHERE id = $1", runId);
        return status.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Queue() => $"q-{Guid.NewGuid():N}";
}
