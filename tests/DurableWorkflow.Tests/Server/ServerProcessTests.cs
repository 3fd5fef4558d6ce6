using System.Globalization;
using System.Net;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Server;

/// <summary>The real standalone server binary, started as self-hosted nodes start it.</summary>
public sealed class ServerProcessTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task standalone_it_honours_urls()
    {
        var port = Processes.FreeTcpPort();

        using var server = Processes.Start(
            "dotnet",
            [TestEnvironment.ServerAssembly, "--urls", $"http://127.0.0.1:{port}"],
            Environment());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForAsync(http, "/api/healthz");
            using var health = await http.GetAsync("/api/health");

            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData("DW_DB_CONNECTION", null, "DW_DB_CONNECTION is required")]
    [InlineData("DW_AUTH_DRIVER", "kerberos", "DW_AUTH_DRIVER")]
    [InlineData("DW_MAX_PAYLOAD_BYTES", "-1", "DW_MAX_PAYLOAD_BYTES")]
    public async Task invalid_configuration_stops_start_up_naming_the_setting(string key, string? value, string expected)
    {
        var environment = Environment();
        environment[key] = value;

        var result = await Processes.RunAsync("dotnet", [TestEnvironment.ServerAssembly, "--urls", "http://127.0.0.1:0"], environment, TimeSpan.FromSeconds(60));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Invalid configuration: ", result.StdErr, StringComparison.Ordinal);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Environment(params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = database.ConnectionString,
            ["DW_AUTH_TOKEN"] = "process-test-token",
            ["DW_SCHEDULER_ENABLED"] = "false",
            ["ASPNETCORE_URLS"] = null,
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static Task WaitForAsync(HttpClient http, string path) =>
        HttpAssert.EventuallyAsync(async () =>
        {
            try
            {
                using var response = await http.GetAsync(path);
                return (true, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            }
            catch (HttpRequestException ex)
            {
                return (false, ex.Message);
            }
        }, TimeSpan.FromSeconds(30));
}
