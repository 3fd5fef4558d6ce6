using System.Net;
using System.Net.Http.Headers;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Pipeline;

/// <summary>Rollout contract §14.4 invariants 56–58: control-plane and worker-protocol version negotiation.</summary>
public sealed class ProtocolNegotiationInvariantTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_WORKER_PROTOCOL_VERSION", "1.3"));

    public void Dispose() => server.Dispose();

    [Theory]
    [InlineData(null, "missing_control_plane_version")]
    [InlineData("1", "unsupported_control_plane_version")]
    [InlineData("3", "unsupported_control_plane_version")]
    [InlineData("2.0", "unsupported_control_plane_version")]
    [InlineData("two", "unsupported_control_plane_version")]
    public async Task Invariant_056_control_plane_requests_need_exactly_version_2(string? version, string reason)
    {
        using var client = server.ControlClient(ServerFactory.OperatorToken);
        client.DefaultRequestHeaders.Remove(HeaderNames.ControlPlaneVersion);
        if (version is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, version);
        }

        using var refused = await client.GetAsync("/api/workflows");
        using var accepted = await server.ControlClient(ServerFactory.OperatorToken).GetAsync("/api/workflows");

        await HttpAssert.ErrorAsync(refused, HttpStatusCode.BadRequest, reason);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("2", Assert.Single(accepted.Headers.GetValues(HeaderNames.ControlPlaneVersion)));
    }

    [Theory]
    [InlineData("1.0", null)]
    [InlineData("1.2", null)]
    [InlineData("1.3", null)]
    [InlineData("1.4", "unsupported_protocol_version")]
    [InlineData("2.0", "unsupported_protocol_version")]
    [InlineData("0.3", "unsupported_protocol_version")]
    [InlineData("1.x", "unsupported_protocol_version")]
    [InlineData("1", "unsupported_protocol_version")]
    [InlineData(null, "missing_protocol_version")]
    public async Task Invariant_057_worker_versions_need_the_server_major_and_a_minor_up_to_the_server_minor(string? version, string? reason)
    {
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.WorkerToken);
        if (version is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderNames.WorkerProtocolVersion, version);
        }

        var workerId = $"inv57-{Guid.NewGuid():N}";
        using var response = await client.PostAsync("/api/worker/register", ServerFactory.Json(
            $$"""{"worker_id":"{{workerId}}","task_queue":"inv57","runtime":"python"}"""));

        if (reason is null)
        {
            await HttpAssert.JsonAsync(response, HttpStatusCode.Created);
            Assert.Equal("1.3", Assert.Single(response.Headers.GetValues(HeaderNames.WorkerProtocolVersion)));
        }
        else
        {
            await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest, reason);
            Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_worker_registrations WHERE worker_id = '{workerId}'"));
        }
    }

    [Theory]
    [InlineData(ServerFactory.WorkerToken)]
    [InlineData(ServerFactory.OperatorToken)]
    [InlineData(ServerFactory.AdminToken)]
    public async Task Invariant_058_cluster_info_needs_no_version_header_and_echoes_none(string token)
    {
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.GetAsync("/api/cluster/info");
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);

        Assert.False(response.Headers.Contains(HeaderNames.ControlPlaneVersion));
        Assert.False(response.Headers.Contains(HeaderNames.WorkerProtocolVersion));
        Assert.Equal("2", (string?)body["control_plane"]!["version"]);
        Assert.Equal("1.3", (string?)body["worker_protocol"]!["version"]);
    }
}
