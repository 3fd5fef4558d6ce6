using DurableWorkflow.FunctionsHost;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Functions;

/// <summary>The worker validates its settings before it connects to the host, like the standalone server.</summary>
public sealed class FunctionsStartupTests
{
    [Fact]
    public async Task an_invalid_setting_stops_the_worker_before_it_connects_and_names_the_setting()
    {
        var environment = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = "Host=127.0.0.1;Database=unused",
            ["DW_SCHEDULER_INTERVAL_SECONDS"] = "not-a-number",
            ["SCHEDULER_CRON"] = "0 0 0 1 1 *",
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            FunctionsHostStandIn.StartAsync(TestEnvironment.FunctionsAssembly, environment, cancellationToken: timeout.Token));

        Assert.Contains("exited during start-up", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid configuration", failure.Message, StringComparison.Ordinal);
        Assert.Contains("DW_SCHEDULER_INTERVAL_SECONDS", failure.Message, StringComparison.Ordinal);
    }
}
