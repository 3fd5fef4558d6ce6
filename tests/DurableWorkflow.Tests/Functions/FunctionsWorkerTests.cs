using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Functions.Routes;
using DurableWorkflow.Functions.Scheduling;
using DurableWorkflow.FunctionsHost;
using DurableWorkflow.TestWorker;
using DurableWorkflow.Tests.Fixtures;
using Npgsql;
using ProtocolWorker = DurableWorkflow.TestWorker.TestWorker;

namespace DurableWorkflow.Tests.Functions;

/// <summary>
/// The real isolated worker process, end to end through the Functions host stand-in: gRPC start-up, worker-indexed
/// metadata, and every invocation as the host makes it (an <c>InvocationRequest</c> plus the forwarded HTTP request).
/// </summary>
public sealed partial class FunctionsWorkerTests(FunctionsWorker fixture) : IClassFixture<FunctionsWorker>
{
    private static readonly (Role Role, string Token)[] RoleTokens =
    [
        (Role.Worker, ServerFactory.WorkerToken),
        (Role.Operator, ServerFactory.OperatorToken),
        (Role.Admin, ServerFactory.AdminToken),
    ];

    private FunctionsHostStandIn Host => fixture.Host;

    [Fact]
    public void the_worker_indexes_the_same_functions_the_build_wrote_to_functions_metadata()
    {
        var fromWorker = Host.Functions.Select(f => FunctionShape.From(f.Name, f.Bindings)).ToList();
        var onDisk = FunctionShape.FromMetadataFile(Path.Combine(Host.AppDirectory, "functions.metadata"));

        FunctionMetadataRules.AssertMatchesRouteTable(fromWorker);
        Assert.Equal(onDisk.Select(f => (f.Name, f.Canonical)).Order(), fromWorker.Select(f => (f.Name, f.Canonical)).Order());
        Assert.True(Host.InitResponse.Capabilities.ContainsKey("HttpUri"), "the worker advertises no HttpUri");
    }

    [Fact]
    public async Task every_guarded_route_answers_401_without_a_token_and_403_for_a_role_it_does_not_allow()
    {
        var checkedForbidden = 0;
        foreach (var route in ApiRoutes.All.Where(r => !r.Policy.Guard.IsPublic))
        {
            var path = Placeholder().Replace(route.Pattern, "x");
            foreach (var method in route.Methods)
            {
                Assert.Equal(route.Name, Host.Route(method, path)?.Name);

                var anonymous = await InvokeAsync(new HttpRequestMessage(new HttpMethod(method), path));
                Assert.Equal(route.Name, anonymous.FunctionName);
                await AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized, "unauthorized");

                var outsider = RoleTokens.FirstOrDefault(r => !route.Policy.Guard.AllowedRoles.Contains(r.Role));
                if (outsider.Token is null)
                {
                    // Every role may call this route (discovery); there is no wrong role to try.
                    continue;
                }

                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", outsider.Token);
                var forbidden = await InvokeAsync(request);
                var body = await AssertErrorAsync(forbidden, HttpStatusCode.Forbidden, "forbidden");
                Assert.Equal(outsider.Role.ToString().ToLowerInvariant(), (string?)body["role"]);
                checkedForbidden++;
            }
        }

        Assert.True(checkedForbidden >= ApiRoutes.All.Count - 5, $"only {checkedForbidden} routes were tried with a wrong role");
    }

    [Fact]
    public async Task probes_answer_get_and_head_through_their_own_functions()
    {
        foreach (var route in ApiRoutes.All.Where(r => r.AlsoHead))
        {
            foreach (var method in route.Methods)
            {
                var result = await InvokeAsync(new HttpRequestMessage(new HttpMethod(method), route.Pattern));

                Assert.Equal(route.Name, result.FunctionName);
                Assert.True(result.Status == HttpStatusCode.OK, $"{method} {route.Pattern}: {result}");
                Assert.Equal(method == "HEAD", result.Body.Length == 0);
            }
        }
    }

    [Fact]
    public async Task unknown_paths_and_wrong_methods_reach_the_fallback_function_and_answer_the_json_envelope()
    {
        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/api/no/such/route");
        unknown.Headers.Add(HeaderNames.ControlPlaneVersion, "2");
        var notFound = await InvokeAsync(unknown);
        Assert.Equal(NotFoundFunction.Name, notFound.FunctionName);
        await AssertErrorAsync(notFound, HttpStatusCode.NotFound, "not_found");

        using var wrongMethod = new HttpRequestMessage(HttpMethod.Delete, "/" + RouteTemplates.Prefix + "/" + RouteTemplates.Workflows);
        wrongMethod.Headers.Add(HeaderNames.ControlPlaneVersion, "2");
        var notAllowed = await InvokeAsync(wrongMethod);
        Assert.Equal(NotFoundFunction.Name, notAllowed.FunctionName);
        await AssertErrorAsync(notAllowed, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task a_workflow_runs_start_poll_complete_through_the_worker()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        var queue = $"functions-{Guid.NewGuid():N}";
        var before = Host.Invocations.Count;

        // The SDK-shaped clients talk plain HTTP to the stand-in's front end, which routes and invokes like the host.
        using var control = new ControlClient(Host.BaseAddress, ServerFactory.AdminToken);
        using var worker = new ProtocolWorker(Host.BaseAddress, queue, new TestWorkerOptions
        {
            Token = ServerFactory.WorkerToken,
            Workflows = new Dictionary<string, WorkflowScript> { ["greet"] = WorkflowScripts.CompleteWith("hello from functions") },
        });
        (await worker.RegisterAsync(ct)).Expect(HttpStatusCode.Created, HttpStatusCode.OK);

        var workflowId = $"fn-{Guid.NewGuid():N}";
        var started = (await control.StartWorkflowAsync(ControlClient.StartBody("greet", queue, ["x"], workflowId), ct)).Expect(HttpStatusCode.Created);
        var runId = (string?)started.Json["run_id"];
        Assert.False(string.IsNullOrEmpty(runId));

        var task = await worker.PollWorkflowTaskAsync(10, ct);
        Assert.NotNull(task);
        Assert.Equal(workflowId, task.WorkflowId);
        var completed = await worker.ExecuteWorkflowTaskAsync(task, ct);
        completed.Response.Expect(HttpStatusCode.OK);

        var result = await control.GetResultAsync(workflowId, TimeSpan.FromSeconds(30), ct);
        Assert.Equal("completed", result.Status);
        Assert.Equal(runId, result.RunId);
        Assert.Equal("hello from functions", (string?)result.Output);
        Assert.Equal("completed", await fixture.Database.ScalarAsync<string>(
            $"SELECT status FROM workflow_runs WHERE id::text = '{runId}'"));

        var invoked = Host.Invocations.Skip(before).ToList();
        Assert.All(invoked, i => Assert.True(i.Succeeded, $"{i.FunctionName}: {i.Response.Result.Exception?.Message}"));
        var names = invoked.Select(i => i.FunctionName).ToHashSet();
        Assert.Superset(
            new HashSet<string>
            {
                nameof(ApiRoutes.RegisterWorker), nameof(ApiRoutes.StartWorkflow), nameof(ApiRoutes.PollWorkflowTask),
                nameof(ApiRoutes.CompleteWorkflowTask), nameof(ApiRoutes.DescribeWorkflow),
            },
            names);
    }

    [Fact]
    public async Task a_handler_exception_answers_the_json_500_envelope_and_no_exception_leaves_the_function()
    {
        // A query error that is not an outage: the handler's table is gone, so the handler throws from PostgreSQL.
        await fixture.Database.ExecuteAsync("ALTER TABLE workflow_runs RENAME TO workflow_runs_hidden");
        FunctionHttpResult result;
        try
        {
            using var request = Control(HttpMethod.Get, "/" + RouteTemplates.Prefix + "/" + RouteTemplates.Workflows);
            result = await InvokeAsync(request);
        }
        finally
        {
            await fixture.Database.ExecuteAsync("ALTER TABLE workflow_runs_hidden RENAME TO workflow_runs");
        }

        Assert.Equal(nameof(ApiRoutes.ListWorkflows), result.FunctionName);
        var body = await AssertErrorAsync(result, HttpStatusCode.InternalServerError, ApiFailure.InternalErrorReason);
        Assert.DoesNotContain("workflow_runs", body.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_timer_invocation_runs_a_scheduler_tick_under_the_postgres_advisory_lock()
    {
        await using var holder = new NpgsqlConnection(fixture.Database.ConnectionString);
        await holder.OpenAsync();
        await ExecuteAsync(holder, "SELECT pg_advisory_lock($1)");

        // Another scheduler (a second slot, say) holds the lock: the tick must skip.
        var skipped = await Host.InvokeTimerAsync(SchedulerTickFunction.Name);
        Assert.True(skipped.Succeeded, skipped.Response.Result.Exception?.Message);
        await AssertTickLoggedAsync(skipped, SchedulerTickStatus.LockHeld);

        await ExecuteAsync(holder, "SELECT pg_advisory_unlock($1)");
        var ran = await Host.InvokeTimerAsync(SchedulerTickFunction.Name, isPastDue: true);
        Assert.True(ran.Succeeded, ran.Response.Result.Exception?.Message);
        await AssertTickLoggedAsync(ran, SchedulerTickStatus.Ran);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = SchedulerTickRunner.AdvisoryLockKey });
        await command.ExecuteScalarAsync();
    }

    private static HttpRequestMessage Control(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.AdminToken);
        request.Headers.Add(HeaderNames.ControlPlaneVersion, "2");
        request.Headers.Add(HeaderNames.Namespace, "default");
        return request;
    }

    private static Task<JsonObject> AssertErrorAsync(FunctionHttpResult result, HttpStatusCode status, string reason)
    {
        Assert.True(result.Status == status, $"expected {(int)status}: {result}");
        Assert.StartsWith("application/json", result.ContentHeaders.ContentType?.MediaType ?? string.Empty, StringComparison.Ordinal);
        var body = JsonNode.Parse(result.Text)!.AsObject();
        Assert.Equal(reason, (string?)body["reason"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"]), $"no message: {result}");
        return Task.FromResult(body);
    }

    private async Task<FunctionHttpResult> InvokeAsync(HttpRequestMessage request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await Host.InvokeHttpAsync(request, timeout.Token);

        // The pipeline writes every answer itself; an exception leaving the function would be an empty 200.
        Assert.True(result.Succeeded, $"{result.FunctionName} invocation failed: {result.Invocation.Result.Exception?.Message}");
        return result;
    }

    private async Task AssertTickLoggedAsync(InvocationRecord invocation, SchedulerTickStatus status)
    {
        await HttpAssert.EventuallyAsync(() =>
        {
            var lines = Host.Logs.Where(l => l.InvocationId == invocation.InvocationId).Select(l => l.Message).ToList();
            return Task.FromResult((lines.Any(l => l.StartsWith($"Scheduler tick {status}:", StringComparison.Ordinal)), string.Join(" | ", lines)));
        }, TimeSpan.FromSeconds(10));
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Placeholder();
}
