using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>Issue 8 defect 2: a <c>poll_request_id</c> protects a poll that is still in flight, not only a finished one.</summary>
public sealed class PollRunnerTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    /// <summary>EngineLog.PollRequestInFlight: a duplicate found the key reserved and waits for its holder.</summary>
    private const int PollRequestInFlight = 1105;

    private readonly LogEventSink log = new();
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task Defect2_concurrent_polls_with_one_poll_request_id_lease_one_task_and_both_get_it()
    {
        for (var round = 0; round < 10; round++)
        {
            using var harness = await WorkflowHarness.CreateAsync(server);
            await harness.StartAsync();
            await harness.StartAsync();
            var body = Poll(harness, $"wf-poll-concurrent-{round}", timeoutSeconds: 5);

            var answers = await Task.WhenAll(PollAsync(harness, body), PollAsync(harness, body));

            Assert.All(answers, a => Assert.NotNull(a["task"]));
            Assert.Equal((string?)answers[0]["task"]!["task_id"], (string?)answers[1]["task"]!["task_id"]);
            Assert.Equal((int)answers[0]["task"]!["workflow_task_attempt"]!, (int)answers[1]["task"]!["workflow_task_attempt"]!);
            Assert.Equal(1L, await CountAsync(harness.Queue, "leased"));
            Assert.Equal(1L, await CountAsync(harness.Queue, "ready"));
        }
    }

    [Fact]
    public async Task Defect2_a_duplicate_sent_while_the_first_poll_is_parked_gets_the_first_polls_task()
    {
        using var observed = ServerFactory.WithRoleTokens(database.ConnectionString);
        observed.LogSink = log;
        for (var round = 0; round < 5; round++)
        {
            using var harness = await WorkflowHarness.CreateAsync(observed);
            var body = Poll(harness, $"wf-poll-parked-{round}", timeoutSeconds: 20);
            var first = PollAsync(harness, body);
            await WaitForPendingReservationAsync($"wf-poll-parked-{round}");
            var seen = log.Count(PollRequestInFlight);
            var duplicate = PollAsync(harness, body);
            await log.WaitForAsync(PollRequestInFlight, seen + 1, TimeSpan.FromSeconds(10));

            await harness.StartAsync();
            await harness.StartAsync();
            var answers = await Task.WhenAll(first, duplicate);

            Assert.All(answers, a => Assert.NotNull(a["task"]));
            Assert.Equal((string?)answers[0]["task"]!["task_id"], (string?)answers[1]["task"]!["task_id"]);
            Assert.Equal(1L, await CountAsync(harness.Queue, "leased"));
            Assert.Equal(1L, await CountAsync(harness.Queue, "ready"));
        }
    }

    [Fact]
    public async Task Defect2_a_duplicate_of_a_poll_that_ended_empty_answers_empty_and_leases_nothing()
    {
        using var observed = ServerFactory.WithRoleTokens(database.ConnectionString);
        observed.LogSink = log;
        using var harness = await WorkflowHarness.CreateAsync(observed);
        var body = Poll(harness, "wf-poll-empty", timeoutSeconds: 2);
        var first = PollAsync(harness, body);
        await WaitForPendingReservationAsync("wf-poll-empty");
        var duplicate = PollAsync(harness, Poll(harness, "wf-poll-empty", timeoutSeconds: 20));
        await log.WaitForAsync(PollRequestInFlight, 1, TimeSpan.FromSeconds(10));

        var answers = await Task.WhenAll(first, duplicate);

        Assert.All(answers, a => Assert.Equal("empty", (string?)a["poll_status"]));
        Assert.Equal(0L, await CountAsync(harness.Queue, "leased"));
    }

    [Fact]
    public async Task Defect2_a_reservation_whose_holder_died_expires_and_the_key_is_usable_again()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();
        var body = Poll(harness, "wf-poll-orphan", timeoutSeconds: 5);

        // A holder on a node that crashed mid-poll: its reservation stays pending until it expires.
        var first = await PollAsync(harness, body);
        await database.ExecuteAsync(
            "UPDATE workflow_poll_requests SET status = 'pending', task_id = NULL, task_attempt = NULL, reservation_id = 'dead-node-reservation', expires_at = now() - interval '1 second' WHERE poll_request_id = 'wf-poll-orphan'");
        await database.ExecuteAsync("UPDATE workflow_tasks SET status = 'ready', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'leased'");

        var retried = await PollAsync(harness, body);

        Assert.NotNull(retried["task"]);
        Assert.Equal((string?)first["task"]!["task_id"], (string?)retried["task"]!["task_id"]);
        Assert.Equal(1L, await CountAsync(harness.Queue, "leased"));
        Assert.Equal("completed", await database.ScalarAsync<string>("SELECT status FROM workflow_poll_requests WHERE poll_request_id = 'wf-poll-orphan'"));
    }

    [Fact]
    public async Task a_poll_that_finds_a_task_at_once_records_its_key_and_answer_in_the_claims_own_transaction()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();

        var answer = await PollAsync(harness, Poll(harness, "wf-poll-at-once", timeoutSeconds: 5));

        const string Row = "FROM workflow_poll_requests WHERE poll_request_id = 'wf-poll-at-once'";
        Assert.Equal("completed", await database.ScalarAsync<string>($"SELECT status {Row}"));
        Assert.Equal((string?)answer["task"]!["task_id"], await database.ScalarAsync<string>($"SELECT task_id {Row}"));

        // now() is the transaction's start: one timestamp for both means the key was taken and answered in one transaction.
        Assert.True(await database.ScalarAsync<bool>($"SELECT created_at = completed_at {Row}"));
    }

    [Fact]
    public async Task a_retry_of_an_answered_poll_gets_that_task_back_and_its_own_claim_of_another_ready_task_is_rolled_back()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        await harness.StartAsync();
        await harness.StartAsync();
        var body = Poll(harness, "wf-poll-retry-at-once", timeoutSeconds: 5);

        var first = await PollAsync(harness, body);
        var retried = await PollAsync(harness, body);

        Assert.Equal((string?)first["task"]!["task_id"], (string?)retried["task"]!["task_id"]);
        Assert.Equal((int)first["task"]!["workflow_task_attempt"]!, (int)retried["task"]!["workflow_task_attempt"]!);
        Assert.Equal(1L, await CountAsync(harness.Queue, "leased"));
        Assert.Equal(1L, await CountAsync(harness.Queue, "ready"));
    }

    private static JsonObject Poll(WorkflowHarness harness, string pollRequestId, int timeoutSeconds) => new()
    {
        ["worker_id"] = harness.WorkerId,
        ["task_queue"] = harness.Queue,
        ["poll_request_id"] = pollRequestId,
        ["timeout_seconds"] = timeoutSeconds,
    };

    private static Task<JsonObject> PollAsync(WorkflowHarness harness, JsonObject body) =>
        harness.WorkerPostAsync("/api/worker/workflow-tasks/poll", (JsonObject)body.DeepClone(), HttpStatusCode.OK);

    private Task<long> CountAsync(string queue, string status) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM workflow_tasks WHERE task_queue = '{queue}' AND task_type = 'workflow' AND status = '{status}'");

    private async Task WaitForPendingReservationAsync(string pollRequestId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_poll_requests WHERE poll_request_id = '{pollRequestId}' AND status = 'pending'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"poll {pollRequestId} never reserved its key");
            await Task.Delay(20);
        }
    }
}
