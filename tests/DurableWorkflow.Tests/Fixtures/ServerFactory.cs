using System.Net.Http.Headers;
using System.Text;
using DurableWorkflow.Core.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>
/// The real server app in process, configured with <c>DW_*</c> settings exactly as environment variables would set
/// them, against a real database.
/// </summary>
public sealed class ServerFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public const string AdminToken = "admin-token";
    public const string OperatorToken = "operator-token";
    public const string WorkerToken = "worker-token";

    /// <summary>Role tokens configured, scheduler off, no Redis: the common case for pipeline tests.</summary>
    public static ServerFactory WithRoleTokens(string connectionString, params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = connectionString,
            ["DW_AUTH_DRIVER"] = "token",
            ["DW_ADMIN_TOKEN"] = AdminToken,
            ["DW_OPERATOR_TOKEN"] = OperatorToken,
            ["DW_WORKER_TOKEN"] = WorkerToken,
            ["DW_SCHEDULER_ENABLED"] = "false",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return new ServerFactory(settings);
    }

    /// <summary>Also receives every log entry of the server, debug level included, when set before the first client.</summary>
    public LogEventSink? LogSink { get; set; }

    /// <summary>Changes the server's services (after its own registrations) when set before the first client.</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (LogSink is { } sink)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(sink).AddFilter<LogEventSink>(null, LogLevel.Debug));
        }

        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    /// <summary>A client that speaks the control plane with the given token, as the CLI and SDK do.</summary>
    public HttpClient ControlClient(string? token = AdminToken, string? @namespace = "default")
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "2");
        if (@namespace is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderNames.Namespace, @namespace);
        }

        return client;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
