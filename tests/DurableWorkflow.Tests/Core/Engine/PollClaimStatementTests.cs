using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// The claim statements carry the poll's idempotency record and (workflow tasks) the first history page: what a poll
/// answers and what it leaves in the database must be what the separate statements gave.
/// </summary>
public sealed class PollClaimStatementTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(500)]
    public async Task the_first_history_page_read_by_the_claim_equals_the_page_the_history_endpoint_reads(int pageSize)
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        using var control = server.ControlClient();
        var started = await h.StartAsync(extra: new JsonObject { ["input"] = new JsonArray("naïve ✓", 12345678901234, 0.1, null, new JsonObject { ["k"] = "v" }) });
        for (var i = 0; i < 3; i++)
        {
            using var signal = await control.PostAsync(
                $"/api/workflows/{started["workflow_id"]}/signal/go-{i}", ServerFactory.Json($$"""{"input":[{{i}}, "s-{{i}}"]}"""));
            await HttpAssert.JsonAsync(signal, HttpStatusCode.Accepted);
        }

        var polled = await h.WorkerPostAsync("/api/worker/workflow-tasks/poll", new JsonObject
        {
            ["worker_id"] = h.WorkerId, ["task_queue"] = h.Queue, ["timeout_seconds"] = 5, ["history_page_size"] = pageSize,
            ["poll_request_id"] = $"page-{pageSize}",
        }, HttpStatusCode.OK);
        var task = polled["task"]!.AsObject();
        var separate = await h.WorkerPostAsync($"/api/worker/workflow-tasks/{task["task_id"]}/history", new JsonObject
        {
            ["lease_owner"] = h.WorkerId, ["workflow_task_attempt"] = (int)task["workflow_task_attempt"]!,
            ["next_history_page_token"] = HistoryPageToken.Encode(0), ["history_page_size"] = pageSize,
        }, HttpStatusCode.OK);

        var total = (long)task["total_history_events"]!;
        Assert.True(total >= 5, $"history of {total} events");
        Assert.Equal(Math.Min(pageSize, total), task["history_events"]!.AsArray().Count);
        Assert.True(JsonNode.DeepEquals(separate["history_events"], task["history_events"]), task["history_events"]!.ToJsonString());
        Assert.Equal((string?)separate["next_history_page_token"], (string?)task["next_history_page_token"]);
    }

    [Fact]
    public async Task an_activity_claim_whose_key_another_poll_holds_is_rolled_back_with_its_attempt_and_started_event()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        await h.CompleteAsync(await h.PollAsync(), new JsonObject { ["type"] = "schedule_activity", ["activity_type"] = "act", ["queue"] = h.Queue });
        var runId = (string)started["run_id"]!;
        var historyBefore = await HistoryCountAsync(runId);

        // Another poll with this key holds a live reservation (a duplicate parked on another node).
        await database.ExecuteAsync(
            $"""
            INSERT INTO workflow_poll_requests (request_key, namespace, task_kind, task_queue, build_id, worker_id, poll_request_id,
                                                status, reservation_id, expires_at)
            VALUES ('\x{Convert.ToHexStringLower(Key(h, "act-held"))}', 'default', 'activity', '{h.Queue}', NULL, '{h.WorkerId}', 'act-held',
                    'pending', 'other-holder', now() + interval '1 hour')
            """);

        var answer = await h.WorkerPostAsync("/api/worker/activity-tasks/poll", new JsonObject
        {
            ["worker_id"] = h.WorkerId, ["task_queue"] = h.Queue, ["timeout_seconds"] = 1, ["poll_request_id"] = "act-held",
        }, HttpStatusCode.OK);

        Assert.Null(answer["task"]);
        Assert.Equal("ready", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE run_id = '{runId}' AND task_type = 'activity'"));
        Assert.Equal(0, await database.ScalarAsync<int>($"SELECT attempt_count FROM workflow_tasks WHERE run_id = '{runId}' AND task_type = 'activity'"));
        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_activity_attempts WHERE run_id = '{runId}'"));
        Assert.Equal(historyBefore, await HistoryCountAsync(runId));
        Assert.Equal("other-holder", await database.ScalarAsync<string>("SELECT reservation_id FROM workflow_poll_requests WHERE poll_request_id = 'act-held'"));
        Assert.Equal("pending", await database.ScalarAsync<string>("SELECT status FROM workflow_poll_requests WHERE poll_request_id = 'act-held'"));
    }

    [Fact]
    public async Task an_activity_poll_that_finds_its_task_at_once_records_the_attempt_it_leased()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        await h.CompleteAsync(await h.PollAsync(), new JsonObject { ["type"] = "schedule_activity", ["activity_type"] = "act", ["queue"] = h.Queue });

        var answer = await h.WorkerPostAsync("/api/worker/activity-tasks/poll", new JsonObject
        {
            ["worker_id"] = h.WorkerId, ["task_queue"] = h.Queue, ["timeout_seconds"] = 5, ["poll_request_id"] = "act-at-once",
        }, HttpStatusCode.OK);

        var task = answer["task"]!.AsObject();
        Assert.Equal("completed", await database.ScalarAsync<string>("SELECT status FROM workflow_poll_requests WHERE poll_request_id = 'act-at-once'"));
        Assert.Equal((string?)task["task_id"], await database.ScalarAsync<string>("SELECT task_id FROM workflow_poll_requests WHERE poll_request_id = 'act-at-once'"));
        Assert.Equal((string?)task["activity_attempt_id"],
            await database.ScalarAsync<string>("SELECT activity_attempt_id FROM workflow_poll_requests WHERE poll_request_id = 'act-at-once'"));
        Assert.True(await database.ScalarAsync<bool>(
            $"SELECT p.expires_at > t.lease_expires_at FROM workflow_poll_requests p JOIN workflow_tasks t ON t.id = p.task_id WHERE p.poll_request_id = 'act-at-once' AND t.run_id = '{started["run_id"]}'"));
    }

    /// <summary>The hashed <c>workflow_poll_requests</c> key of an activity poll of a worker without a build id.</summary>
    private static byte[] Key(WorkflowHarness h, string pollRequestId) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u0001', "default", "activity", h.Queue, string.Empty, h.WorkerId, pollRequestId)));

    private Task<long> HistoryCountAsync(string runId) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM workflow_history_events WHERE run_id = '{runId}'");
}
