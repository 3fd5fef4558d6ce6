using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workers;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// A poll's first probe that finds nothing reserves its <c>poll_request_id</c> in the claim's transaction, inside the
/// first probe, so the wake subscription taken before that probe still covers a task committed meanwhile.
/// </summary>
public sealed class PollFirstProbeTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task a_task_committed_right_after_the_first_probes_claim_wakes_the_poll_that_reserved_its_key()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var harness = await WorkflowHarness.CreateAsync(server);
        var polls = server.Services.GetRequiredService<PollRunner>();
        var wakeBus = server.Services.GetRequiredService<WakeBus>();
        var claims = 0;
        string? reservedAtSecondClaim = null;

        // The first claim finds nothing, and a task is committed (and signalled) right after it, before the poll waits;
        // the second claim is the one that signal triggers.
        var task = new TaskPoll(
            async (_, _, _, token) =>
            {
                if (Interlocked.Increment(ref claims) == 1)
                {
                    wakeBus.Publish([WakeChannels.WorkflowTasks("default", harness.Queue)]);
                    return default;
                }

                reservedAtSecondClaim = await database.ScalarAsync<string>(
                    "SELECT status FROM workflow_poll_requests WHERE poll_request_id = 'first-probe-wake'");
                return new PollClaim<JsonObject>(new JsonObject { ["task_id"] = "committed-meanwhile" }, Refused: false);
            },
            (_, _) => Task.FromResult<JsonObject?>(null));
        var queue = new QueueProbe(
            (_, _, _) => Task.FromResult(0),
            (_, _, _) => Task.FromResult<TimeSpan?>(null),
            (_, _, _, _) => Task.FromResult(FoundExpiredLeases.None));
        var body = JsonSerializer.SerializeToElement(new JsonObject
        {
            ["worker_id"] = harness.WorkerId, ["task_queue"] = harness.Queue, ["poll_request_id"] = "first-probe-wake", ["timeout_seconds"] = 60,
        });

        // Without the signal the poll would wait out its 60 s hold (the queue probe announces nothing).
        using var patience = new CancellationTokenSource(Patience);
        var answer = await polls.RunAsync("default", new RequestValidator(body), PollKind.Workflow, 30, queue, _ => task, patience.Token);

        Assert.Equal("committed-meanwhile", (string?)answer.Value!["task"]!["task_id"]);
        Assert.Equal(2, claims);
        Assert.Equal("pending", reservedAtSecondClaim);
    }
}
