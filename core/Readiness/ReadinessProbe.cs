using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Operations;
using DurableWorkflow.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Readiness;

/// <summary>
/// Decides whether this node may take traffic: database reachable, every embedded migration applied, the default
/// namespace seeded, the cache round-tripping, auth configured, and the bounded workflow-engine health snapshot
/// (backend capabilities, worker compatibility) free of errors. Each check is bounded so a hung dependency cannot
/// hang the load balancer's probe.
/// </summary>
public sealed class ReadinessProbe(
    NpgsqlDataSource dataSource,
    ICoordinationCache cache,
    ServerSettings settings,
    WorkerCompatibilityCheck workerCompatibility,
    TimeProvider clock,
    ILogger<ReadinessProbe> logger)
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    private const string BootstrapCommand = "dotnet run --project dbup";

    private string lastFailures = string.Empty;

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

        IReadOnlyList<string> blockedBy = [.. new[] { ("database", database), ("migrations", migrations) }
            .Where(c => !c.Item2.KeepsNodeReady).Select(c => c.Item1)];
        var workflow = blockedBy.Count > 0
            ? WorkflowV2Check.Blocked(blockedBy)
            : await BoundedAsync(CheckWorkflowEngineAsync, cancellationToken);

        var checks = new ReadinessChecks(
            database,
            migrations,
            defaultNamespace,
            await CheckCacheAsync(cancellationToken),
            CheckAuth(),
            workflow);
        var report = ReadinessReport.Decide(checks, WireTime.Offset(clock.GetUtcNow()));

        // Load balancers probe every few seconds: log a failing check when the set of failures changes, not each time.
        var failing = checks.Named.Where(c => !c.Check.KeepsNodeReady).ToList();
        var signature = string.Join(',', failing.Select(c => $"{c.Name}={c.Check.Status}"));
        if (Interlocked.Exchange(ref lastFailures, signature) != signature)
        {
            foreach (var (name, check) in failing)
            {
                logger.ReadinessCheckFailed(name, check.Status);
            }
        }

        return report;
    }

    /// <summary>The bounded health snapshot: the backend as the database describes itself, and the live fleet.</summary>
    private async Task<CheckResult> CheckWorkflowEngineAsync(CancellationToken cancellationToken)
    {
        DatabaseFacts facts;
        await using (var command = dataSource.CreateCommand(DatabaseFacts.Sql))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            facts = new DatabaseFacts(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetInt32(2));
        }

        var backend = OperatorBackend.Describe(settings, facts);
        // Fleet-wide (the compatibility namespace, or every namespace), as §4.2 defines readiness's fleet.
        var compatibility = await workerCompatibility.EvaluateAsync(cancellationToken);
        return WorkflowV2Check.FromSnapshot(OperatorHealth.EvaluateBounded(backend, compatibility));
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
        if (settings.ValidateCacheBackend && !LongPollCacheValidator.Classify(settings).Safe)
        {
            return CacheCheck.Unshared(cache.StoreName);
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

        return CacheCheck.FromProbe(settings, cache.StoreName, cache.IsShared, probe);
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
