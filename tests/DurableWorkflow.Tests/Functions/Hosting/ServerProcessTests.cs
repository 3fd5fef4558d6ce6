using System.Globalization;
using System.Net;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Functions.Hosting;

/// <summary>The real server binary, started the two ways it is launched: by the Functions host and standalone.</summary>
public sealed class ServerProcessTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task under_the_functions_host_it_listens_on_the_handler_port_and_ignores_urls()
    {
        var handlerPort = Processes.FreeTcpPort();
        var otherPort = Processes.FreeTcpPort();
        var environment = Environment(("FUNCTIONS_CUSTOMHANDLER_PORT", handlerPort.ToString(CultureInfo.InvariantCulture)));
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{otherPort}";

        using var server = Processes.Start("dotnet", [TestEnvironment.FunctionsAssembly], environment);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{handlerPort}") };
            await WaitForAsync(http, "/");
            using var ready = await http.GetAsync("/api/ready");
            using var other = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var otherFailed = await Assert.ThrowsAsync<HttpRequestException>(() => other.GetAsync($"http://127.0.0.1:{otherPort}/"));

            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.NotNull(otherFailed);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task standalone_it_honours_urls()
    {
        var port = Processes.FreeTcpPort();

        using var server = Processes.Start(
            "dotnet",
            [TestEnvironment.FunctionsAssembly, "--urls", $"http://127.0.0.1:{port}"],
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

        var result = await Processes.RunAsync("dotnet", [TestEnvironment.FunctionsAssembly, "--urls", "http://127.0.0.1:0"], environment, TimeSpan.FromSeconds(60));

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
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = null,
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
