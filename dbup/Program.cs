using System.Globalization;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Storage;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DurableWorkflow.Bootstrap;

/// <summary>
/// The bootstrap console. Exit codes: 0 success (with --status: nothing pending); 1 migrations pending (--status);
/// 2 bad configuration or arguments; 3 database unreachable or a migration failed.
/// </summary>
public static class BootstrapCli
{
    public static async Task<int> Main(string[] args)
    {
        var statusOnly = args.Contains("--status");
        if (args.Any(a => a is not "--status"))
        {
            await Console.Error.WriteLineAsync("usage: DurableWorkflow.Bootstrap [--status]   (configured by DW_DB_CONNECTION, DW_DEFAULT_NAMESPACE, DW_BOOTSTRAP_RETRIES, DW_BOOTSTRAP_DELAY_SECONDS)");
            return 2;
        }

        BootstrapOptions options;
        try
        {
            options = BootstrapSettings.Load(new ConfigurationBuilder().AddEnvironmentVariables().Build());
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"Bootstrap: invalid configuration: {ex.Message}");
            return 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var bootstrapper = new Bootstrapper(options, MigrationCatalog.All, Console.Out);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return statusOnly
                    ? await bootstrapper.StatusAsync(cancellation.Token)
                    : await bootstrapper.MigrateAsync(cancellation.Token);
            }
            catch (Exception ex) when (ex is NpgsqlException or BootstrapException && attempt < options.Retries)
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Bootstrap: attempt {attempt + 1} failed ({BootstrapSettings.Describe(ex, options.ConnectionString)}); retrying in {options.RetryDelay.TotalSeconds:0} s."));
                await Task.Delay(options.RetryDelay, cancellation.Token);
            }
            catch (Exception ex) when (ex is NpgsqlException or BootstrapException)
            {
                await Console.Error.WriteLineAsync($"Bootstrap failed: {BootstrapSettings.Describe(ex, options.ConnectionString)}");
                return 3;
            }
        }
    }
}
