using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Core.Readiness;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Api.Pipeline;

/// <summary>
/// No exception leaves the pipeline: a bug answers the JSON 500 envelope in the route's plane without internals.
/// The route here is a test route given to the real pipeline the way a host gives it one of the table's routes.
/// </summary>
public sealed class ApiFailureTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private const string Secret = "Password=hunter2";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_handler_exception_answers_the_control_plane_500_envelope_without_internals()
    {
        var route = new ApiRoute("Boom", "POST", "test/boom", RoutePolicy.Control(RouteGuard.Operator), Throwing());
        var context = Context("/api/test/boom", ServerFactory.AdminToken, (HeaderNames.ControlPlaneVersion, "2"));

        await server.Services.GetRequiredService<ApiPipeline>().InvokeAsync(context, route);

        var (status, body, raw) = Read(context);
        Assert.Equal(500, status);
        Assert.Equal(ApiFailure.InternalErrorReason, (string?)body["reason"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"]));
        Assert.DoesNotContain("hunter2", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), raw, StringComparison.Ordinal);
        Assert.Equal("2", context.Response.Headers[HeaderNames.ControlPlaneVersion].ToString());
        Assert.Equal("application/json", context.Response.ContentType);
    }

    [Fact]
    public async Task a_handler_exception_on_the_worker_plane_answers_the_worker_envelope()
    {
        var route = new ApiRoute("WorkerBoom", "POST", "worker/test/{taskId}/boom", RoutePolicy.Worker, Throwing());
        var context = Context("/api/worker/test/t-1/boom", ServerFactory.WorkerToken, (HeaderNames.WorkerProtocolVersion, "1.0"));

        await server.Services.GetRequiredService<ApiPipeline>().InvokeAsync(context, route);

        var (status, body, raw) = Read(context);
        Assert.Equal(500, status);
        Assert.Equal(ApiFailure.InternalErrorReason, (string?)body["reason"]);
        Assert.Equal((string?)body["message"], (string?)body["error"]);
        Assert.True(body.ContainsKey("protocol_version"));
        Assert.True(body.ContainsKey("server_capabilities"));
        Assert.DoesNotContain("hunter2", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_handler_exception_with_compression_requested_still_answers_the_envelope()
    {
        var route = new ApiRoute("Boom", "POST", "test/boom", RoutePolicy.Control(RouteGuard.Operator), Throwing());
        var context = Context("/api/test/boom", ServerFactory.AdminToken, (HeaderNames.ControlPlaneVersion, "2"), ("Accept-Encoding", "gzip"));

        await server.Services.GetRequiredService<ApiPipeline>().InvokeAsync(context, route);

        var (status, body, _) = Read(context);
        Assert.Equal(500, status);
        Assert.Equal(ApiFailure.InternalErrorReason, (string?)body["reason"]);
    }

    [Fact]
    public async Task a_client_that_went_away_gets_nothing_written_and_nothing_escapes()
    {
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        Func<CancellationToken, Task<IResult>> handler = async token =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return Results.Ok();
        };
        var route = new ApiRoute("Parked", "POST", "test/parked", RoutePolicy.Probe, handler);
        var context = Context("/api/test/parked", ServerFactory.AdminToken);
        context.RequestAborted = gone.Token;

        await server.Services.GetRequiredService<ApiPipeline>().InvokeAsync(context, route);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(0, context.Response.Body.Length);
    }

    [Fact]
    public async Task an_unreachable_database_answers_503_with_a_reason_and_retry_after()
    {
        using var unreachable = ServerFactory.WithRoleTokens("Host=127.0.0.1;Port=1;Database=unused;Timeout=1");
        using var client = unreachable.ControlClient();

        using var response = await client.GetAsync("/api/workflows");

        await HttpAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable, ApiFailure.DatabaseUnavailableReason);
        Assert.Equal(TimeSpan.FromSeconds(ApiFailure.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        Assert.Equal("2", response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
    }

    /// <summary>A handler that fails the way a bug does, with a detail that must not reach the caller.</summary>
    [Theory]
    [InlineData("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = 'deadlock_detected'; END $$")]
    [InlineData("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$")]
    [InlineData("SET LOCAL statement_timeout = 50; SELECT pg_sleep(2)")]
    public async Task a_transaction_the_database_aborted_under_contention_answers_503_with_the_retry_hint(string sql)
    {
        var route = new ApiRoute("Contended", "POST", "test/contended", RoutePolicy.Control(RouteGuard.Operator), Aborted(sql));
        var context = Context("/api/test/contended", ServerFactory.AdminToken, (HeaderNames.ControlPlaneVersion, "2"));

        await server.Services.GetRequiredService<ApiPipeline>().InvokeAsync(context, route);

        var (status, body, raw) = Read(context);
        Assert.Equal(503, status);
        Assert.Equal(ApiFailure.DatabaseUnavailableReason, (string?)body["reason"]);
        Assert.Equal(ApiFailure.RetryAfterSeconds, (int)body["retry_after_seconds"]!);
        Assert.Equal(ApiFailure.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), context.Response.Headers.RetryAfter.ToString());
        Assert.DoesNotContain("deadlock_detected", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_query_error_of_the_request_itself_stays_a_500()
    {
        var route = new ApiRoute("BadQuery", "POST", "test/bad-query", RoutePolicy.Control(RouteGuard.Operator), Aborted("SELECT 1 / 0"));
        var context = Context("/api/test/bad-query", ServerFactory.AdminToken, (HeaderNames.ControlPlaneVersion, "2"));

        await server.Services.GetRequiredService<ApiPipeline>().InvokeAsync(context, route);

        Assert.Equal(500, Read(context).Status);
    }

    private Func<Task<IResult>> Aborted(string sql) => async () =>
    {
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
        return Results.Ok();
    };

    private static Func<IResult> Throwing() => () => throw new InvalidOperationException($"bug while using {Secret}");

    private DefaultHttpContext Context(string path, string token, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext { RequestServices = server.Services };
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream("{}"u8.ToArray());
        context.Request.Headers.Authorization = $"Bearer {token}";
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        return context;
    }

    private static (int Status, JsonObject Body, string Raw) Read(HttpContext context)
    {
        context.Response.Body.Position = 0;
        var raw = new StreamReader(context.Response.Body).ReadToEnd();
        return (context.Response.StatusCode, JsonNode.Parse(raw)!.AsObject(), raw);
    }
}

/// <summary>PostgreSQL going away under a running server: every route answers 503 with a reason until it is back.</summary>
public sealed class ApiDatabaseOutageTests(PrivatePostgres postgres) : IClassFixture<PrivatePostgres>
{
    [Fact]
    public async Task a_stopped_database_answers_503_database_unavailable_on_both_planes_and_recovers()
    {
        var connectionString = await postgres.CreateBootstrappedDatabaseAsync();
        using var server = ServerFactory.WithRoleTokens(connectionString);
        using var control = server.ControlClient();
        using var worker = server.ControlClient(ServerFactory.WorkerToken);
        worker.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, "1.0");
        await Ready.EventuallyAsync(control, HttpStatusCode.OK);
        using (var before = await control.GetAsync("/api/workflows"))
        {
            await HttpAssert.JsonAsync(before, HttpStatusCode.OK);
        }

        await postgres.StopAsync();
        using var list = await control.GetAsync("/api/workflows");
        using var namespaces = await control.GetAsync("/api/namespaces");
        using var poll = await worker.PostAsync("/api/worker/workflow-tasks/poll", ServerFactory.Json("""{"worker_id":"w-1","task_queue":"q"}"""));
        var listBody = await HttpAssert.ErrorAsync(list, HttpStatusCode.ServiceUnavailable, ApiFailure.DatabaseUnavailableReason);
        await HttpAssert.ErrorAsync(namespaces, HttpStatusCode.ServiceUnavailable, ApiFailure.DatabaseUnavailableReason);
        var pollBody = await HttpAssert.ErrorAsync(poll, HttpStatusCode.ServiceUnavailable, ApiFailure.DatabaseUnavailableReason);
        await postgres.StartAsync();

        Assert.Equal(TimeSpan.FromSeconds(ApiFailure.RetryAfterSeconds), list.Headers.RetryAfter?.Delta);
        Assert.Equal(ApiFailure.RetryAfterSeconds, (int)listBody["retry_after_seconds"]!);
        Assert.True(pollBody.ContainsKey("protocol_version"));
        await Ready.EventuallyAsync(control, HttpStatusCode.OK);
        using var after = await control.GetAsync("/api/workflows");
        await HttpAssert.JsonAsync(after, HttpStatusCode.OK);
    }
}
