using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;
using Xunit.Abstractions;
using ProtocolWorker = DurableWorkflow.TestWorker.TestWorker;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>Leasing, fencing and idempotency of workflow tasks, seen from workers over HTTP (worker-protocol §3).</summary>
public sealed class WorkflowTaskLeasingTests(ProtocolServer fixture, ITestOutputHelper output)
    : ProtocolTest(output, fixture.Server), IClassFixture<ProtocolServer>
{
    private ServerProcess Server => fixture.Server;

    private string Db => fixture.Database.ConnectionString;

    [Fact]
    public async Task eight_concurrent_pollers_lease_500_ready_tasks_each_exactly_once()
    {
        const int Workflows = 500;
        const int Pollers = 8;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        var starts = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Workflows), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (_, token) =>
        {
            (await control.StartWorkflowAsync("bulk", queue, [], token)).Expect(HttpStatusCode.Created);
            Interlocked.Increment(ref starts);
        });
        Assert.Equal(Workflows, starts);
        Assert.Equal(Workflows, await DatabaseSnapshot.ScalarAsync(Db, "SELECT count(*) FROM workflow_tasks WHERE task_queue = $1 AND status = 'ready'", queue));

        var workers = Enumerable.Range(0, Pollers).Select(_ => Server.Worker(queue)).ToList();
        try
        {
            await Task.WhenAll(workers.Select(w => w.RegisterAsync(ct)));
            var leased = new ConcurrentBag<(string TaskId, int Attempt, string Owner)>();
            await Task.WhenAll(workers.Select(async worker =>
            {
                // Short holds: a poller stops at its first empty answer once everything is leased.
                while (leased.Count < Workflows)
                {
                    var task = await worker.PollWorkflowTaskAsync(1, ct);
                    if (task is null)
                    {
                        break;
                    }

                    leased.Add((task.TaskId, task.Attempt, task.LeaseOwner!));
                    Assert.Equal(worker.WorkerId, task.LeaseOwner);
                }
            }));

            var ids = leased.Select(l => l.TaskId).ToList();
            var duplicates = ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, $"leased more than once: {string.Join(", ", duplicates)}");
            Assert.Equal(Workflows, ids.Count);
            Assert.All(leased, l => Assert.Equal(1, l.Attempt));
            Assert.True(leased.Select(l => l.Owner).Distinct().Count() > 1, "one poller took every task; the test did not run concurrently");
            Assert.Equal(Workflows, await DatabaseSnapshot.ScalarAsync(Db,
                "SELECT count(*) FROM workflow_tasks WHERE task_queue = $1 AND task_type = 'workflow' AND status = 'leased' AND attempt_count = 1", queue));
            Assert.Equal(Workflows, await DatabaseSnapshot.ScalarAsync(Db, "SELECT count(*) FROM workflow_tasks WHERE task_queue = $1", queue));
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task an_expired_lease_is_redelivered_with_attempt_2_and_the_old_holder_is_fenced_off()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var holder = Server.Worker(queue);
        using var rescuer = Server.Worker(queue);
        await holder.RegisterAsync(ct);
        await rescuer.RegisterAsync(ct);
        var runId = (string)ProtocolAssert.Ok(await control.StartWorkflowAsync("expiring", queue, [], ct), HttpStatusCode.Created)["run_id"]!;
        var first = await holder.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(first);
        Assert.Equal(1, first.Attempt);

        await DatabaseSnapshot.ExecuteAsync(Db, "UPDATE workflow_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1", first.TaskId);

        // Redelivery: the same task, attempt 2, to the next poller.
        var again = await rescuer.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(again);
        Assert.Equal(first.TaskId, again.TaskId);
        Assert.Equal(2, again.Attempt);
        Assert.Equal(rescuer.WorkerId, again.LeaseOwner);

        // The old holder's completion is fenced and writes nothing.
        var eventsBefore = await HistoryCountAsync(runId);
        var rowBefore = await DatabaseSnapshot.TaskRowAsync(Db, first.TaskId);
        var countsBefore = await DatabaseSnapshot.CountsAsync(Db);
        var late = await holder.CompleteWorkflowTaskAsync(first, [Commands.CompleteWorkflow("late")], ct);
        Assert.True(late.Status == HttpStatusCode.Conflict, $"late completion: {late}");
        Assert.Contains(late.Reason, new[] { "lease_owner_mismatch", "workflow_task_attempt_mismatch" });
        ProtocolAssert.WorkerError(late, HttpStatusCode.Conflict, late.Reason!);
        Assert.Equal(eventsBefore, await HistoryCountAsync(runId));
        Assert.Equal(rowBefore, await DatabaseSnapshot.TaskRowAsync(Db, first.TaskId));
        Assert.Equal(countsBefore, await DatabaseSnapshot.CountsAsync(Db));

        // The new holder still completes normally.
        var done = ProtocolAssert.WorkerEnvelope((await rescuer.CompleteWorkflowTaskAsync(again, [Commands.CompleteWorkflow("rescued")], ct)).Expect(HttpStatusCode.OK));
        Assert.Equal("completed", (string?)done["run_status"]);
    }

    [Fact]
    public async Task a_retried_poll_with_the_same_poll_request_id_returns_the_same_task_and_claims_nothing_new()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        for (var i = 0; i < 2; i++)
        {
            ProtocolAssert.Ok(await control.StartWorkflowAsync("retried", queue, [], ct), HttpStatusCode.Created);
        }

        var pollRequestId = ProtocolWorker.NewPollRequestId();
        Assert.Matches("^wf-poll-[0-9a-f]{32}$", pollRequestId);
        var first = ProtocolAssert.WorkerEnvelope((await worker.PollWorkflowTaskRawAsync(5, pollRequestId, ct)).Expect(HttpStatusCode.OK));
        var task = first["task"]!.AsObject();
        var countsBefore = await DatabaseSnapshot.CountsAsync(Db);
        var rowBefore = await DatabaseSnapshot.TaskRowAsync(Db, (string)task["task_id"]!);

        // Python retries a poll whose answer was lost with the identical body.
        var retried = ProtocolAssert.WorkerEnvelope((await worker.PollWorkflowTaskRawAsync(5, pollRequestId, ct)).Expect(HttpStatusCode.OK));
        var replayed = retried["task"]!.AsObject();
        Assert.Equal((string?)task["task_id"], (string?)replayed["task_id"]);
        Assert.Equal((int)task["workflow_task_attempt"]!, (int)replayed["workflow_task_attempt"]!);
        Assert.Equal((string?)task["lease_expires_at"], (string?)replayed["lease_expires_at"]);
        Assert.Equal(task["history_events"]!.ToJsonString(), replayed["history_events"]!.ToJsonString());

        Assert.Equal(1, await DatabaseSnapshot.ScalarAsync(Db, "SELECT count(*) FROM workflow_tasks WHERE task_queue = $1 AND status = 'leased'", queue));
        Assert.Equal(1, await DatabaseSnapshot.ScalarAsync(Db, "SELECT count(*) FROM workflow_tasks WHERE task_queue = $1 AND status = 'ready'", queue));
        Assert.Equal(rowBefore, await DatabaseSnapshot.TaskRowAsync(Db, (string)task["task_id"]!));
        Assert.Equal(countsBefore, await DatabaseSnapshot.CountsAsync(Db));

        // A fresh poll id is a new logical poll and takes the other task.
        var next = await worker.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(next);
        Assert.NotEqual((string?)task["task_id"], next.TaskId);
    }

    [Fact]
    public async Task a_repeated_identical_completion_replays_the_first_answer_and_writes_nothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        var runId = (string)ProtocolAssert.Ok(await control.StartWorkflowAsync("replayed", queue, [], ct), HttpStatusCode.Created)["run_id"]!;
        var task = await worker.PollWorkflowTaskAsync(5, ct);
        Assert.NotNull(task);
        JsonObject[] commands = [Commands.StartTimer(3600)];

        var first = await worker.CompleteWorkflowTaskAsync(task, commands, ct);
        ProtocolAssert.WorkerEnvelope(first.Expect(HttpStatusCode.OK));
        var eventsAfterFirst = await HistoryCountAsync(runId);
        var rowAfterFirst = await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId);
        var countsAfterFirst = await DatabaseSnapshot.CountsAsync(Db);

        var second = await worker.CompleteWorkflowTaskAsync(task, commands, ct);
        Assert.True(second.Status == HttpStatusCode.OK, $"replayed completion: {second}");
        // The same answer; only key order may differ (the stored answer is jsonb).
        Assert.True(JsonNode.DeepEquals(first.Json, second.Json), $"first: {first.Text}\nreplayed: {second.Text}");
        Assert.Equal(eventsAfterFirst, await HistoryCountAsync(runId));
        Assert.Equal(rowAfterFirst, await DatabaseSnapshot.TaskRowAsync(Db, task.TaskId));
        Assert.Equal(countsAfterFirst, await DatabaseSnapshot.CountsAsync(Db));
    }

    [Fact]
    public async Task history_beyond_the_first_page_is_fetched_page_by_page_until_the_token_is_null()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var queue = Queue();
        using var control = Server.Control();
        using var worker = Server.Worker(queue);
        await worker.RegisterAsync(ct);
        ProtocolAssert.Ok(await control.StartWorkflowAsync("paged", queue, ["x"], ct), HttpStatusCode.Created);

        var body = worker.WorkflowPollBody(5, ProtocolWorker.NewPollRequestId());
        body["history_page_size"] = 1;
        var polled = ProtocolAssert.WorkerEnvelope((await worker.SendAsync(HttpMethod.Post, "/api/worker/workflow-tasks/poll", body, ct)).Expect(HttpStatusCode.OK));
        var task = new WorkflowTask(polled["task"]!.AsObject());
        Assert.Single(task.HistoryEvents);
        Assert.NotNull(task.NextHistoryPageToken);
        Assert.Equal(2, (int)task.Json["total_history_events"]!);

        var page = ProtocolAssert.WorkerEnvelope((await worker.HistoryPageRawAsync(task, task.NextHistoryPageToken, ct)).Expect(HttpStatusCode.OK));
        Assert.Equal(task.TaskId, (string?)page["task_id"]);
        Assert.Equal(1, (int)page["workflow_task_attempt"]!);
        var full = await worker.FullHistoryAsync(task, ct);
        Assert.Equal([1L, 2L], full.Select(e => (long)e["sequence"]!));
        Assert.Equal(["StartAccepted", "WorkflowStarted"], full.Select(e => (string)e["event_type"]!));
    }

    private Task<long> HistoryCountAsync(string runId) =>
        DatabaseSnapshot.ScalarAsync(Db, "SELECT count(*) FROM workflow_history_events WHERE run_id = $1", runId);

    private static string Queue() => $"q-{Guid.NewGuid():N}";
}
