using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Pipeline;

/// <summary>The request pipeline's stages, their order and their error envelopes (control-plane spec §1.2–§1.9).</summary>
public sealed class ApiPipelineTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_MAX_PAYLOAD_BYTES", "2048"));

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task declared_oversized_payload_is_refused_before_authentication()
    {
        using var client = server.ControlClient(token: null);
        var body = new string('x', 3000);

        using var response = await client.PostAsync("/api/namespaces", ServerFactory.Json($$"""{"name":"{{body}}"}"""));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal(2048, (int)error["limit"]!);
        Assert.Equal("2", response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
    }

    [Fact]
    public async Task streamed_oversized_payload_without_length_is_refused()
    {
        using var client = server.ControlClient();
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"name":"{{new string('y', 3000)}}"}""")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentLength = null;

        using var response = await client.PostAsync("/api/namespaces", content);

        await HttpAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task non_json_media_type_is_refused_before_authentication()
    {
        using var client = server.ControlClient(token: null);

        using var response = await client.PostAsync("/api/namespaces", new StringContent("name=x", Encoding.UTF8, "text/plain"));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Equal(["application/json", "application/*+json"], error["accepted_content_types"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task malformed_json_is_refused_with_the_parser_message()
    {
        using var client = server.ControlClient();

        using var response = await client.PostAsync("/api/namespaces", ServerFactory.Json("{\"name\": "));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "malformed_json");
        Assert.False(string.IsNullOrEmpty((string?)error["json_error"]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task missing_or_wrong_token_is_401_even_with_bad_version_and_unknown_namespace(string? token)
    {
        using var client = server.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "9");
        client.DefaultRequestHeaders.Add(HeaderNames.Namespace, "ghost");

        using var response = await client.GetAsync("/api/namespaces");

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Invalid or missing authentication token.", (string?)error["message"]);
        Assert.False(error.ContainsKey("supported_version"));
    }

    [Fact]
    public async Task worker_role_on_an_operator_route_is_403_with_role_and_allowed_roles()
    {
        using var client = server.ControlClient(ServerFactory.WorkerToken);
        client.DefaultRequestHeaders.Remove(HeaderNames.ControlPlaneVersion);
        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "7");

        using var response = await client.GetAsync("/api/namespaces");

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("worker", (string?)error["role"]);
        Assert.Equal(["operator", "admin"], error["allowed_roles"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task operator_cannot_create_namespaces()
    {
        using var client = server.ControlClient(ServerFactory.OperatorToken);

        using var response = await client.PostAsync("/api/namespaces", ServerFactory.Json("""{"name":"ops-made"}"""));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("operator", (string?)error["role"]);
        Assert.Equal(["admin"], error["allowed_roles"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_namespaces WHERE name = 'ops-made'"));
    }

    [Fact]
    public async Task missing_control_plane_version_is_400_even_for_an_unknown_namespace()
    {
        using var client = server.ControlClient(@namespace: "ghost");
        client.DefaultRequestHeaders.Remove(HeaderNames.ControlPlaneVersion);

        using var response = await client.GetAsync("/api/namespaces");

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "missing_control_plane_version");
        Assert.Equal("2", (string?)error["supported_version"]);
        Assert.True(error.ContainsKey("requested_version"));
        Assert.Null(error["requested_version"]);
        Assert.False(string.IsNullOrEmpty((string?)error["remediation"]));
    }

    [Fact]
    public async Task unsupported_control_plane_version_echoes_the_requested_value()
    {
        using var client = server.ControlClient();
        client.DefaultRequestHeaders.Remove(HeaderNames.ControlPlaneVersion);
        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "2.0");

        using var response = await client.GetAsync("/api/namespaces");

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "unsupported_control_plane_version");
        Assert.Equal("2.0", (string?)error["requested_version"]);
    }

    [Fact]
    public async Task token_driver_without_credentials_is_a_500_server_error()
    {
        using var misconfigured = new ServerFactory(new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = database.ConnectionString,
            ["DW_SCHEDULER_ENABLED"] = "false",
        });
        using var client = misconfigured.ControlClient("anything");

        using var response = await client.GetAsync("/api/namespaces");

        await HttpAssert.ErrorAsync(response, HttpStatusCode.InternalServerError, "server_error");
    }

    [Fact]
    public async Task driver_none_needs_no_token()
    {
        using var open = new ServerFactory(new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = database.ConnectionString,
            ["DW_AUTH_DRIVER"] = "none",
            ["DW_SCHEDULER_ENABLED"] = "false",
        });
        using var client = open.ControlClient(token: null);

        using var response = await client.GetAsync("/api/namespaces");

        await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    [Fact]
    public async Task control_plane_answers_carry_the_version_header_and_probes_do_not()
    {
        using var client = server.ControlClient();

        using var namespaces = await client.GetAsync("/api/namespaces");
        using var ready = await client.GetAsync("/api/ready");
        using var health = await client.GetAsync("/api/health");
        using var info = await client.GetAsync("/api/cluster/info");

        Assert.Equal("2", namespaces.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
        Assert.False(ready.Headers.Contains(HeaderNames.ControlPlaneVersion));
        Assert.False(health.Headers.Contains(HeaderNames.ControlPlaneVersion));
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        Assert.False(info.Headers.Contains(HeaderNames.ControlPlaneVersion));
        Assert.False(info.Headers.Contains(HeaderNames.WorkerProtocolVersion));
    }

    [Fact]
    public async Task cluster_info_needs_no_version_header_and_tolerates_an_unknown_namespace()
    {
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        client.DefaultRequestHeaders.Add(HeaderNames.Namespace, "ghost");

        using var response = await client.GetAsync("/api/cluster/info");

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("2", (string?)body["control_plane"]!["version"]);
        Assert.Equal("ghost", (string?)body["worker_fleet"]!["namespace"]);
    }

    [Fact]
    public async Task cluster_info_without_a_token_is_401_in_the_control_plane_envelope()
    {
        using var client = server.CreateClient();

        using var response = await client.GetAsync("/api/cluster/info");

        await HttpAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("2", response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
    }

    [Fact]
    public async Task unknown_route_with_the_version_header_gets_the_envelope()
    {
        using var client = server.ControlClient();

        using var response = await client.GetAsync("/api/no-such-thing");

        await HttpAssert.ErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.Equal("2", response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
    }

    [Fact]
    public async Task unknown_route_without_the_version_header_gets_a_plain_message()
    {
        using var client = server.CreateClient();

        using var response = await client.GetAsync("/api/no-such-thing");

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("Not Found", (string?)body["message"]);
        Assert.False(body.ContainsKey("reason"));
    }

    [Fact]
    public async Task wrong_method_on_a_known_route_is_405_method_not_allowed()
    {
        using var client = server.ControlClient();

        using var response = await client.PatchAsync("/api/namespaces/default", ServerFactory.Json("{}"));

        await HttpAssert.ErrorAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task workflow_paths_carry_the_control_plane_block_on_errors()
    {
        using var client = server.ControlClient();

        using var response = await client.PostAsync("/api/workflows/wf-77/runs/r-1/signal/advance", ServerFactory.Json("{}"));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.NotFound, "instance_not_found");
        var block = error["control_plane"]!.AsObject();
        Assert.Equal("signal", (string?)block["operation"]);
        Assert.Equal("wf-77", (string?)block["workflow_id"]);
        Assert.Equal("r-1", (string?)block["run_id"]);
        Assert.Equal("advance", (string?)block["operation_name"]);
        Assert.Equal("signal_name", (string?)block["operation_name_field"]);
        Assert.Equal("wf-77", (string?)error["workflow_id"]);
        Assert.Equal("instance_not_found", (string?)block["reason"]);
        Assert.Equal("2", response.Headers.GetValues(HeaderNames.ControlPlaneVersion).Single());
    }
}
