using System.Text.Json.Nodes;
using DurableWorkflow.Cli;
using DurableWorkflow.Tests.Protocol;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// The worker-plane diagnostic commands (<c>worker:register</c>, <c>workflow-task:*</c>, <c>query-task:*</c>,
/// <c>activity:complete|fail</c>) driving real tasks on a live server process, their <c>--json</c> documents checked
/// against the official CLI's schemas.
/// </summary>
public sealed class CliWorkerPlaneTests(ProtocolServer fixture) : IClassFixture<ProtocolServer>
{
    private Dictionary<string, string?> Env => CliFleet.Environment(fixture.Server);

    [Fact]
    public async Task Register_poll_fail_and_complete_take_a_workflow_to_completed()
    {
        var register = await CliRun.ProcessAsync(Env, "worker:register", "cli-wp-worker", "--task-queue", "cli-wp", "--workflow-type", "cli.Flow", "--json");
        AssertSchema("worker:register", register);
        Assert.True(register.Json()["registered"]!.GetValue<bool>());
        Assert.Equal("cli-wp-worker", register.Json()["worker_id"]!.GetValue<string>());
        await CliFleet.StartAsync(fixture.Server, "cli.Flow", "cli-wp", "cli-wp-1");

        var poll = await Cli("workflow-task:poll", "cli-wp-worker", "--task-queue", "cli-wp", "--json");
        AssertSchema("workflow-task:poll", poll);
        var task = poll.Json()["task"]!.AsObject();
        Assert.Equal("cli-wp-1", task["workflow_id"]!.GetValue<string>());
        var taskId = task["task_id"]!.GetValue<string>();
        var attempt = task["workflow_task_attempt"]!.GetValue<int>();

        var fail = await Cli("workflow-task:fail", taskId, $"{attempt}", "--lease-owner", "cli-wp-worker", "-m", "replay mismatch", "-t", "NonDeterminism", "--json");
        AssertSchema("workflow-task:fail", fail);
        Assert.Equal(taskId, fail.Json()["task_id"]!.GetValue<string>());

        var again = await Cli("workflow-task:poll", "cli-wp-worker", "--task-queue", "cli-wp", "--json");
        var retried = again.Json()["task"]!.AsObject();
        Assert.Equal("cli-wp-1", retried["workflow_id"]!.GetValue<string>());
        var complete = await Cli(
            "workflow-task:complete", retried["task_id"]!.GetValue<string>(), $"{retried["workflow_task_attempt"]!.GetValue<int>()}",
            "--lease-owner", "cli-wp-worker", "--complete-result", Payloads.Envelope(new JsonObject { ["ok"] = true }).ToJsonString(), "--json");
        AssertSchema("workflow-task:complete", complete);
        Assert.Equal("completed", complete.Json()["run_status"]!.GetValue<string>());

        var describe = (await Cli("workflow:describe", "cli-wp-1", "--json")).Json();
        Assert.Equal("completed", describe["status"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["ok"] = true }, describe["output"]), describe.ToJsonString());
    }

    [Fact]
    public async Task A_scheduled_activity_is_completed_and_failed_from_the_cli()
    {
        using var worker = fixture.Server.Worker("cli-act", new TestWorkerOptions
        {
            Workflows = new Dictionary<string, WorkflowScript> { ["cli.Act"] = WorkflowScripts.CompleteWith(null) },
            Activities = new Dictionary<string, Func<JsonArray, JsonNode?>> { ["cli.echo"] = a => a },
        });
        (await worker.RegisterAsync(CancellationToken.None)).Expect(System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.Created);

        foreach (var id in new[] { "cli-act-1", "cli-act-2" })
        {
            await CliFleet.StartAsync(fixture.Server, "cli.Act", "cli-act", id);
            var task = (await Cli("workflow-task:poll", worker.WorkerId, "--task-queue", "cli-act", "--json")).Json()["task"]!.AsObject();
            var schedule = Commands.ScheduleActivity("cli.echo", "cli-act", new JsonArray("hello")).ToJsonString();
            var scheduled = await Cli(
                "workflow-task:complete", task["task_id"]!.GetValue<string>(), $"{task["workflow_task_attempt"]!.GetValue<int>()}",
                "--lease-owner", worker.WorkerId, "--command", schedule, "--json");
            Assert.True(scheduled.ExitCode == 0, scheduled.ToString());
        }

        var first = (await worker.PollActivityTaskAsync(5, CancellationToken.None))!;
        var second = (await worker.PollActivityTaskAsync(5, CancellationToken.None))!;

        var complete = await Cli("activity:complete", first.TaskId, first.AttemptId, "--lease-owner", worker.WorkerId, "--input", "{\"echo\":\"hello\"}", "--json");
        AssertSchema("activity:complete", complete);
        Assert.Equal(first.AttemptId, complete.Json()["activity_attempt_id"]!.GetValue<string>());
        Assert.Equal("completed", complete.Json()["outcome"]!.GetValue<string>());

        var fail = await Cli("activity:fail", second.TaskId, second.AttemptId, "--lease-owner", worker.WorkerId, "-m", "upstream 500", "-t", "HttpError", "--non-retryable", "--failure-kind", "application", "--json");
        AssertSchema("activity:fail", fail);
        Assert.Equal("failed", fail.Json()["outcome"]!.GetValue<string>());

        var repeat = await Cli("activity:complete", first.TaskId, first.AttemptId, "--lease-owner", worker.WorkerId, "--input", "1", "--json");
        // A second outcome for a settled attempt is refused with 409 stale_attempt (HTTP 4xx: exit 2), recorded=false.
        Assert.True(repeat.ExitCode == ExitCodes.Invalid, repeat.ToString());
        Assert.Equal("stale_attempt", repeat.Json()["reason"]!.GetValue<string>());
        Assert.False(repeat.Json()["server_response"]!["recorded"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Unknown_tasks_map_to_exit_5_and_bad_arguments_to_exit_2_before_any_request()
    {
        var query = await Cli("query-task:complete", "no-such-query-task", "1", "--result", "42", "--json");
        var queryFail = await Cli("query-task:fail", "no-such-query-task", "1", "-m", "unknown query", "--json");
        var history = await Cli("workflow-task:history", "no-such-task", "page-2", "--attempt", "1", "--json");
        var activity = await Cli("activity:complete", "no-such-activity", "no-such-attempt", "--json");

        foreach (var result in new[] { query, queryFail, history, activity })
        {
            Assert.True(result.ExitCode == ExitCodes.NotFound, result.ToString());
            Assert.Equal(404, result.Json()["status_code"]!.GetValue<int>());
        }

        Assert.Equal(ExitCodes.Invalid, (await Cli("workflow-task:complete", "t", "zero", "--json")).ExitCode);
        Assert.Equal(ExitCodes.Invalid, (await Cli("workflow-task:fail", "t", "1", "--json")).ExitCode);
        Assert.Equal(ExitCodes.Invalid, (await Cli("query-task:complete", "q", "1", "--json")).ExitCode);
        Assert.Equal(ExitCodes.Invalid, (await Cli("activity:fail", "a", "b", "--retryable", "--non-retryable", "--json")).ExitCode);
        Assert.Equal(ExitCodes.Invalid, (await Cli("activity:fail", "a", "b", "--failure-kind", "bogus", "--json")).ExitCode);
        Assert.Equal(ExitCodes.Invalid, (await Cli("workflow-task:complete", "t", "1", "--command", "[1]", "--json")).ExitCode);
    }

    [Fact]
    public async Task A_routed_query_is_answered_through_query_task_poll_and_complete()
    {
        using var worker = fixture.Server.Worker("cli-q", new TestWorkerOptions
        {
            QueryTasks = true,
            Workflows = new Dictionary<string, WorkflowScript> { ["cli.Q"] = WorkflowScripts.CompleteWith(null) },
        });
        (await worker.RegisterAsync(CancellationToken.None)).Expect(System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.Created);
        await CliFleet.StartAsync(fixture.Server, "cli.Q", "cli-q", "cli-q-1");

        var asked = Cli("workflow:query", "cli-q-1", "status", "--json");
        var poll = await Cli("query-task:poll", worker.WorkerId, "--task-queue", "cli-q", "--json");
        AssertSchema("query-task:poll", poll);
        var task = poll.Json()["task"]!.AsObject();
        Assert.Equal("status", task["query_name"]!.GetValue<string>());
        var complete = await Cli(
            "query-task:complete", task["query_task_id"]!.GetValue<string>(), $"{task["query_task_attempt"]!.GetValue<int>()}",
            "--lease-owner", worker.WorkerId, "--result", "{\"stage\":\"packing\"}", "--json");
        AssertSchema("query-task:complete", complete);

        var answer = await asked;
        Assert.True(answer.ExitCode == 0, answer.ToString());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["stage"] = "packing" }, answer.Json()["result"]), answer.StdOut);
    }

    [Fact]
    public async Task Worker_plane_answers_must_carry_the_protocol_version_header_and_body()
    {
        await using var stub = new RecordingServer
        {
            Respond = _ => (200, new JsonObject { ["worker_id"] = "w-1", ["registered"] = true, ["protocol_version"] = "1.1" }),
        };
        var environment = CliRun.Environment(stub.BaseAddress, "t");

        var missing = await CliRun.InProcessAsync(environment, "worker:register", "w-1", "--json");
        stub.ResponseHeaders["X-Durable-Workflow-Protocol-Version"] = "1.1";
        var accepted = await CliRun.InProcessAsync(environment, "worker:register", "w-1", "--json");
        stub.ResponseHeaders["X-Durable-Workflow-Protocol-Version"] = "2.0";
        var wrongMajor = await CliRun.InProcessAsync(environment, "worker:register", "w-1", "--json");

        Assert.Equal(ExitCodes.Failure, missing.ExitCode);
        Assert.Equal("worker_protocol_mismatch", missing.Json()["reason"]!.GetValue<string>());
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.Equal(ExitCodes.Failure, wrongMajor.ExitCode);
        var request = stub.ApiCalls[0];
        Assert.Equal("/api/worker/register", request.Path);
        Assert.Equal("1.0", request.Headers["X-Durable-Workflow-Protocol-Version"]);
        var body = JsonNode.Parse(request.Body)!.AsObject();
        Assert.Equal("external", body["runtime"]!.GetValue<string>());
        Assert.Equal("default", body["task_queue"]!.GetValue<string>());
        Assert.Equal("dw-cli", body["sdk_version"]!.GetValue<string>());
    }

    private Task<CliResult> Cli(params string[] args) => CliRun.InProcessAsync(Env, args);

    private static void AssertSchema(string command, CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"{command}: {result}");
        var violations = OutputSchema.Violations(result.Json(), OutputSchema.ForCommand(command));
        Assert.True(violations.Count == 0, $"{command}: {string.Join("; ", violations)}");
    }
}
