using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Readiness;

/// <summary>
/// Decides whether this node may take traffic: database reachable, every embedded migration applied, the default
/// namespace seeded, the cache round-tripping, and auth configured. Each check is bounded so a hung dependency cannot
/// hang the load balancer's probe.
/// </summary>
public sealed class ReadinessProbe(
    NpgsqlDataSource dataSource,
    ICoordinationCache cache,
    ServerSettings settings,
    TimeProvider clock)
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    private const string BootstrapCommand = "dotnet run --project dbup";

    /// <summary>Tables the engine cannot serve without; a rollback that removes one must surface here, not as 5xx.</summary>
    public static IReadOnlyList<string> RequiredTables { get; } =
    [
        MigrationCatalog.JournalTable, "workflow_namespaces", "workflow_instances", "workflow_runs", "workflow_tasks",
        "workflow_history_events", "workflow_worker_registrations", "search_attribute_definitions",
    ];

    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var database = await CheckDatabaseAsync(cancellationToken);
        var timestamp = WireTime.Offset(clock.GetUtcNow());
        return database.Status == "ok"
            ? new HealthReport("serving", timestamp, new HealthChecks("ok"))
            : new HealthReport("degraded", timestamp, new HealthChecks("unavailable"));
    }

    public async Task<ReadinessReport> CheckReadinessAsync(CancellationToken cancellationToken)
    {
        var database = await CheckDatabaseAsync(cancellationToken);
        CheckResult migrations;
        CheckResult defaultNamespace;
        if (database.Status == "ok")
        {
            migrations = await BoundedAsync(CheckMigrationsAsync, cancellationToken);
            defaultNamespace = await BoundedAsync(CheckDefaultNamespaceAsync, cancellationToken);
        }
        else
        {
            migrations = CheckResult.Unavailable("Database is unavailable.");
            defaultNamespace = CheckResult.Unavailable("Database is unavailable.") with { Namespace = settings.DefaultNamespace };
        }

        var checks = new ReadinessChecks(
            database,
            migrations,
            defaultNamespace,
            await CheckCacheAsync(cancellationToken),
            CheckAuth());
        var ready = checks.All.All(c => c.KeepsNodeReady);
        return new ReadinessReport(ready ? "ready" : "not_ready", WireTime.Offset(clock.GetUtcNow()), checks);
    }

    private async Task<CheckResult> CheckDatabaseAsync(CancellationToken cancellationToken)
    {
        var result = await BoundedAsync(
            async token =>
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(token);
                return CheckResult.Ok;
            },
            cancellationToken);
        if (result.Status != "ok")
        {
            // Connections pooled before a database restart are dead; drop them so the next probe reconnects.
            dataSource.Clear();
        }

        return result;
    }

    private async Task<CheckResult> CheckMigrationsAsync(CancellationToken cancellationToken)
    {
        var missingTables = await FindMissingTablesAsync(RequiredTables, cancellationToken);
        var applied = missingTables.Contains(MigrationCatalog.JournalTable)
            ? []
            : await ReadAppliedMigrationsAsync(cancellationToken);
        var pending = MigrationCatalog.All.Select(m => m.Name).Where(n => !applied.Contains(n)).ToList();

        if (missingTables.Count > 0)
        {
            return new CheckResult
            {
                Status = "missing",
                MissingTables = missingTables,
                PendingMigrations = pending,
                Remediation = $"Run the bootstrap ({BootstrapCommand}) before routing workers or SDKs to this server.",
            };
        }

        if (pending.Count > 0)
        {
            return new CheckResult
            {
                Status = "pending",
                PendingMigrations = pending,
                Remediation = $"Run the bootstrap ({BootstrapCommand}) to apply pending migrations.",
            };
        }

        return CheckResult.Ok;
    }

    private async Task<CheckResult> CheckDefaultNamespaceAsync(CancellationToken cancellationToken)
    {
        var name = settings.DefaultNamespace;
        var tableMissing = (await FindMissingTablesAsync(["workflow_namespaces"], cancellationToken)).Count > 0;
        if (!tableMissing)
        {
            await using var command = dataSource.CreateCommand("SELECT 1 FROM workflow_namespaces WHERE name = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            if (await command.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return CheckResult.Ok with { Namespace = name };
            }
        }

        return new CheckResult
        {
            Status = "missing",
            Namespace = name,
            Remediation = tableMissing
                ? $"Run the bootstrap ({BootstrapCommand}) to migrate and seed the default namespace."
                : $"Run the bootstrap ({BootstrapCommand}) to seed the default namespace.",
        };
    }

    private async Task<CheckResult> CheckCacheAsync(CancellationToken cancellationToken)
    {
        if (settings.MultiNode && !cache.IsShared)
        {
            return new CheckResult
            {
                Status = "invalid",
                Store = cache.StoreName,
                Shared = false,
                Message = "DW_V2_MULTI_NODE=true but the cache is local to this node, so wake signals cannot reach other nodes.",
                Remediation = "Set DW_REDIS_CONNECTION to a Redis shared by every API node.",
            };
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        CacheProbeResult probe;
        try
        {
            probe = await cache.ProbeAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            probe = CacheProbeResult.Failure($"Cache probe did not answer within {CheckTimeout.TotalSeconds:0} s.");
        }

        if (probe.Ok)
        {
            return CheckResult.Ok with { Store = cache.StoreName, Shared = cache.IsShared };
        }

        if (cache.IsShared && settings.ReadyCachePolicy == ReadyCachePolicy.Warning)
        {
            return new CheckResult
            {
                Status = "warning",
                Store = cache.StoreName,
                Shared = true,
                Message = probe.Message,
                CorrectnessSubstrate = "database",
                DegradedCapability = "long_poll_wake_acceleration",
            };
        }

        return new CheckResult { Status = "unavailable", Store = cache.StoreName, Shared = cache.IsShared, Message = probe.Message };
    }

    private CheckResult CheckAuth()
    {
        var auth = settings.Auth;
        if (auth.Driver == AuthDriver.None)
        {
            return CheckResult.Ok with { Driver = "none" };
        }

        return auth.HasUsableCredential
            ? CheckResult.Ok with { Driver = "token" }
            : new CheckResult
            {
                Status = "missing",
                Driver = "token",
                Remediation = "Set DW_AUTH_TOKEN or role-scoped DW_WORKER_TOKEN/DW_OPERATOR_TOKEN/DW_ADMIN_TOKEN values.",
            };
    }

    private async Task<List<string>> FindMissingTablesAsync(IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = tables.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var missing = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            missing.Add(reader.GetString(0));
        }

        return missing;
    }

    private async Task<HashSet<string>> ReadAppliedMigrationsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT scriptname FROM {MigrationCatalog.JournalTable}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }

    private static async Task<CheckResult> BoundedAsync(
        Func<CancellationToken, Task<CheckResult>> check,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            return await check(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return CheckResult.Unavailable($"No answer within {CheckTimeout.TotalSeconds:0} s.");
        }
        catch (NpgsqlException ex)
        {
            return CheckResult.Unavailable(ex.Message);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is NpgsqlException or TimeoutException)
        {
            return CheckResult.Unavailable(ex.Message);
        }
    }
}
