using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Pipeline;

public sealed class ResponseCompressionTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task large_json_answers_are_compressed_with_the_chosen_coding(string coding)
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient();
        client.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));

        using var response = await client.GetAsync("/api/cluster/info");
        var raw = await response.Content.ReadAsStreamAsync();
        await using Stream decoded = coding == "gzip"
            ? new GZipStream(raw, CompressionMode.Decompress)
            : new DeflateStream(raw, CompressionMode.Decompress);
        var body = JsonNode.Parse(await new StreamReader(decoded).ReadToEndAsync())!.AsObject();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([coding], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.Equal(["gzip", "deflate"], body["capabilities"]!["response_compression"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task small_answers_are_sent_as_they_are()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient();
        client.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await client.GetAsync("/api/namespaces/default");

        Assert.Empty(response.Content.Headers.ContentEncoding);
        await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    [Fact]
    public async Task disabled_compression_is_not_advertised_or_applied()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_COMPRESSION_ENABLED", "false"));
        using var client = server.ControlClient();
        client.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await client.GetAsync("/api/cluster/info");

        Assert.Empty(response.Content.Headers.ContentEncoding);
        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Empty(body["capabilities"]!["response_compression"]!.AsArray());
    }
}
