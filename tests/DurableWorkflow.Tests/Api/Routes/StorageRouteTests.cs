using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads.Storage;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>
/// <c>POST /api/storage/test</c> (control-plane spec §11.1) against real drivers: Azurite for <c>azure</c>, a real
/// directory for <c>local</c>; every 422 reason, and an integrity mismatch from a tampered file answering 422.
/// </summary>
public sealed class StorageRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly string localRoot = Directory.CreateTempSubdirectory("dw-storage-test-").FullName;
    private readonly string container = $"dw-test-{Guid.NewGuid():N}"[..30];

    public void Dispose() => Directory.Delete(localRoot, recursive: true);

    [Fact]
    public async Task fixture_round_trips_both_payloads_through_azurite_and_deletes_them()
    {
        using var server = Server();
        using var client = server.ControlClient(@namespace: "billing");
        await CreateNamespaceAsync(client, "billing", """{"driver":"azure","config":{"prefix":"tenants/billing"}}""");
        var fixture = SharedFixtures.ControlPlane("storage-test-parity");
        var body = fixture.Body!.DeepClone().AsObject();
        body["driver"] = "azure";

        using var response = await client.PostAsync(fixture.Path, ServerFactory.Json(body.ToJsonString()));

        var answer = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        var expected = fixture.Json["response_body"]!.AsObject();
        Assert.Equal((string?)expected["status"], (string?)answer["status"]);
        Assert.Equal((string?)expected["namespace"], (string?)answer["namespace"]);
        Assert.Equal("azure", (string?)answer["driver"]);
        foreach (var (kind, fill) in new[] { ("small_payload", 's'), ("large_payload", 'l') })
        {
            var payload = answer[kind]!.AsObject();
            var bytes = (int)expected[kind]!["bytes"]!;
            Assert.Equal("passed", (string?)payload["status"]);
            Assert.Equal(bytes, (int)payload["bytes"]!);
            Assert.Equal(Sha256(new string(fill, bytes)), (string?)payload["sha256"]);
            Assert.Contains($"/{container}/tenants/billing/billing/storage-test/", (string?)payload["reference_uri"], StringComparison.Ordinal);
        }

        var blobs = new BlobContainerClient(TestEnvironment.AzuriteConnection, container);
        Assert.True((await blobs.ExistsAsync()).Value);
        Assert.Empty(await blobs.GetBlobsAsync().ToListAsync());
    }

    [Fact]
    public async Task local_driver_round_trips_through_a_directory_and_leaves_it_empty()
    {
        using var server = Server();
        using var client = server.ControlClient(@namespace: "ledger");
        await CreateNamespaceAsync(client, "ledger", """{"driver":"local","threshold_bytes":1024}""");

        using var response = await client.PostAsync("/api/storage/test",
            ServerFactory.Json("""{"driver":"local","small_payload_bytes":128,"large_payload_bytes":2097152}"""));

        var answer = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("passed", (string?)answer["status"]);
        Assert.Equal("local", (string?)answer["driver"]);
        Assert.Equal(Sha256(new string('l', 2_097_152)), (string?)answer["large_payload"]!["sha256"]);
        Assert.StartsWith(new Uri(localRoot).AbsoluteUri, (string?)answer["small_payload"]!["reference_uri"], StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(localRoot, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task a_tampered_file_is_a_422_integrity_mismatch_and_is_still_deleted()
    {
        using var server = Server();
        using var tampering = server.WithWebHostBuilder(builder => builder.ConfigureServices(services =>
            services.AddSingleton<IPayloadStorageDriverFactory>(new TamperingLocalFactory(localRoot))));
        using var client = tampering.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.AdminToken);
        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "2");
        client.DefaultRequestHeaders.Add(HeaderNames.Namespace, "tampered");
        await CreateNamespaceAsync(client, "tampered", """{"driver":"local"}""");

        using var response = await client.PostAsync("/api/storage/test",
            ServerFactory.Json("""{"small_payload_bytes":64,"large_payload_bytes":4096}"""));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, "integrity_mismatch");
        Assert.Equal("failed", (string?)error["status"]);
        Assert.Equal("small", (string?)error["payload"]);
        Assert.Equal(Sha256(new string('s', 64)), (string?)error["expected_sha256"]);
        Assert.NotEqual((string?)error["expected_sha256"], (string?)error["actual_sha256"]);
        Assert.Empty(Directory.EnumerateFiles(localRoot, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task no_policy_is_external_storage_not_configured()
    {
        using var server = Server();
        using var client = server.ControlClient(@namespace: "bare");
        await CreateNamespaceAsync(client, "bare", policy: null);

        var error = await TestAsync(client, """{"small_payload_bytes":1,"large_payload_bytes":2}""", "external_storage_not_configured");

        Assert.Equal("bare", (string?)error["namespace"]);
        Assert.Null(error["driver"]);
    }

    [Fact]
    public async Task a_disabled_policy_is_external_storage_disabled()
    {
        using var server = Server();
        using var client = server.ControlClient(@namespace: "paused");
        await CreateNamespaceAsync(client, "paused", """{"driver":"local","enabled":false}""");

        var error = await TestAsync(client, """{"small_payload_bytes":1,"large_payload_bytes":2}""", "external_storage_disabled");

        Assert.Equal("local", (string?)error["driver"]);
    }

    [Fact]
    public async Task a_requested_driver_other_than_the_policys_is_storage_driver_unavailable()
    {
        using var server = Server();
        using var client = server.ControlClient(@namespace: "mismatch");
        await CreateNamespaceAsync(client, "mismatch", """{"driver":"local"}""");

        var error = await TestAsync(client, """{"driver":"azure","small_payload_bytes":1,"large_payload_bytes":2}""", "storage_driver_unavailable");

        Assert.Equal("azure", (string?)error["driver"]);
        Assert.Equal(["local", "azure"], error["supported_diagnostic_drivers"]!.AsArray().Select(d => (string)d!));
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("gcs")]
    public async Task s3_and_gcs_have_no_driver_here(string driver)
    {
        using var server = Server();
        using var client = server.ControlClient(@namespace: $"cloud-{driver}");
        await CreateNamespaceAsync(client, $"cloud-{driver}", $$$"""{"driver":"{{{driver}}}","config":{"bucket":"dw-payloads"}}""");

        var error = await TestAsync(client, $$"""{"driver":"{{driver}}","small_payload_bytes":128,"large_payload_bytes":3145728}""", "storage_driver_unavailable");

        Assert.Equal(driver, (string?)error["driver"]);
        Assert.Contains(driver, (string?)error["configuration_error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task drivers_without_server_settings_are_unavailable_with_the_setting_named()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.ControlClient(@namespace: "unset");
        await CreateNamespaceAsync(client, "unset", """{"driver":"azure"}""");

        var azure = await TestAsync(client, """{"small_payload_bytes":1,"large_payload_bytes":2}""", "storage_driver_unavailable");
        Assert.Contains("DW_STORAGE_AZURE_CONNECTION_STRING", (string?)azure["configuration_error"], StringComparison.Ordinal);

        await SetPolicyAsync(client, "unset", """{"driver":"local"}""");
        var local = await TestAsync(client, """{"small_payload_bytes":1,"large_payload_bytes":2}""", "storage_driver_unavailable");
        Assert.Contains("DW_STORAGE_LOCAL_ROOT", (string?)local["configuration_error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unreachable_blob_service_is_a_422_not_a_500()
    {
        var closedPort = ClosedPort();
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString,
            ("DW_STORAGE_AZURE_CONNECTION_STRING", AzuriteAt($"http://127.0.0.1:{closedPort}/devstoreaccount1")));
        using var client = server.ControlClient(@namespace: "offline");
        await CreateNamespaceAsync(client, "offline", """{"driver":"azure"}""");

        var error = await TestAsync(client, """{"small_payload_bytes":1,"large_payload_bytes":2}""", "storage_driver_unavailable");

        Assert.Equal("small", (string?)error["payload"]);
    }

    [Theory]
    [InlineData("{}", "small_payload_bytes")]
    [InlineData("""{"small_payload_bytes":0,"large_payload_bytes":1}""", "small_payload_bytes")]
    [InlineData("""{"small_payload_bytes":1048577,"large_payload_bytes":1}""", "small_payload_bytes")]
    [InlineData("""{"small_payload_bytes":1,"large_payload_bytes":16777217}""", "large_payload_bytes")]
    [InlineData("""{"small_payload_bytes":1,"large_payload_bytes":"2"}""", "large_payload_bytes")]
    [InlineData("""{"driver":"custom","small_payload_bytes":1,"large_payload_bytes":2}""", "driver")]
    public async Task invalid_bodies_are_422_validation_failed_and_write_nothing(string body, string field)
    {
        using var server = Server();
        var ns = $"strict-{Guid.NewGuid():N}";
        using var client = server.ControlClient(@namespace: ns);
        await CreateNamespaceAsync(client, ns, """{"driver":"local"}""");

        using var response = await client.PostAsync("/api/storage/test", ServerFactory.Json(body));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.True(error["errors"]!.AsObject().ContainsKey(field), error.ToJsonString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(localRoot));
    }

    [Fact]
    public async Task operators_are_refused_because_the_test_is_admin_only()
    {
        using var server = Server();
        using var client = server.ControlClient(ServerFactory.OperatorToken);

        using var response = await client.PostAsync("/api/storage/test", ServerFactory.Json("""{"small_payload_bytes":1,"large_payload_bytes":2}"""));

        await HttpAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    private ServerFactory Server() => ServerFactory.WithRoleTokens(database.ConnectionString,
        ("DW_STORAGE_LOCAL_ROOT", localRoot),
        ("DW_STORAGE_AZURE_CONNECTION_STRING", TestEnvironment.AzuriteConnection),
        ("DW_STORAGE_AZURE_CONTAINER", container));

    private static async Task CreateNamespaceAsync(HttpClient client, string name, string? policy)
    {
        using var created = await client.PostAsync("/api/namespaces", ServerFactory.Json($$"""{"name":"{{name}}"}"""));
        await HttpAssert.JsonAsync(created, HttpStatusCode.Created);
        if (policy is not null)
        {
            await SetPolicyAsync(client, name, policy);
        }
    }

    private static async Task SetPolicyAsync(HttpClient client, string name, string policy)
    {
        using var set = await client.PutAsync($"/api/namespaces/{name}/external-storage", ServerFactory.Json(policy));
        await HttpAssert.JsonAsync(set, HttpStatusCode.OK);
    }

    private static async Task<JsonObject> TestAsync(HttpClient client, string body, string reason)
    {
        using var response = await client.PostAsync("/api/storage/test", ServerFactory.Json(body));
        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, reason);
        Assert.Equal("failed", (string?)error["status"]);
        return error;
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)));

    private static string AzuriteAt(string blobEndpoint) =>
        string.Join(';', TestEnvironment.AzuriteConnection.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.StartsWith("BlobEndpoint=", StringComparison.Ordinal) ? $"BlobEndpoint={blobEndpoint}" : part));

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The real local driver whose files are altered on disk right after each write, as a faulty disk or a foreign writer would.</summary>
    private sealed class TamperingLocalFactory(string root) : IPayloadStorageDriverFactory
    {
        public string Driver => "local";

        public DriverResolution Create(StoragePolicy policy) => DriverResolution.Of(new TamperingDriver(new LocalDirectoryDriver(root, policy.Prefix)));
    }

    private sealed class TamperingDriver(LocalDirectoryDriver inner) : IPayloadStorageDriver
    {
        public string Name => inner.Name;

        public async Task<string> PutAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            var reference = await inner.PutAsync(key, payload, cancellationToken);
            var path = new Uri(reference).LocalPath;
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            bytes[0] ^= 0xFF;
            await File.WriteAllBytesAsync(path, bytes, cancellationToken);
            return reference;
        }

        public Task<byte[]> GetAsync(string referenceUri, CancellationToken cancellationToken) => inner.GetAsync(referenceUri, cancellationToken);

        public Task DeleteAsync(string referenceUri, CancellationToken cancellationToken) => inner.DeleteAsync(referenceUri, cancellationToken);
    }
}
