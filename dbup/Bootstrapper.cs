using System.Globalization;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Output;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Bootstrap;

/// <summary>
/// Applies the embedded migrations and seeds the default namespace. Each script runs in its own transaction together
/// with its journal row, so an interrupted run leaves either a whole script or none of it and the next run resumes
/// from the journal. A session advisory lock keeps two bootstraps from racing.
/// </summary>
public sealed class Bootstrapper(BootstrapOptions options, IReadOnlyList<MigrationScript> scripts, TextWriter output)
{
    /// <summary>ASCII "DWBOOT": a key distinct from the scheduler's, stable across releases.</summary>
    public const long AdvisoryLockKey = 0x44_57_42_4F_4F_54;

    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lockConnection = new NpgsqlConnection(options.ConnectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand("SELECT pg_advisory_lock($1)", lockConnection))
        {
            acquire.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await acquire.ExecuteNonQueryAsync(cancellationToken);
        }

        var engine = BuildEngine();
        var pending = engine.GetScriptsToExecute();
        await output.WriteLineAsync(pending.Count == 0
            ? "Migrations: up to date."
            : string.Create(CultureInfo.InvariantCulture, $"Migrations: applying {pending.Count} script(s)."));

        var result = engine.PerformUpgrade();
        if (!result.Successful)
        {
            var script = result.ErrorScript?.Name ?? "(connection)";
            throw new BootstrapException($"Migration {script} failed: {OneLine(result.Error)}");
        }

        var seeded = await SeedDefaultNamespaceAsync(lockConnection, cancellationToken);
        await output.WriteLineAsync(seeded
            ? $"Seed: created namespace '{options.DefaultNamespace}'."
            : $"Seed: namespace '{options.DefaultNamespace}' already present.");
        return 0;
    }

    /// <summary>Lists applied and pending scripts; succeeds only when nothing is pending.</summary>
    public async Task<int> StatusAsync(CancellationToken cancellationToken)
    {
        await using (var probe = new NpgsqlConnection(options.ConnectionString))
        {
            await probe.OpenAsync(cancellationToken);
        }

        var engine = BuildEngine();
        var applied = engine.GetExecutedScripts().ToHashSet(StringComparer.Ordinal);
        foreach (var script in scripts)
        {
            await output.WriteLineAsync($"{(applied.Contains(script.Name) ? "applied" : "pending")}  {script.Name}");
        }

        var pending = scripts.Count(s => !applied.Contains(s.Name));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{scripts.Count - pending} applied, {pending} pending."));
        return pending == 0 ? 0 : 1;
    }

    private UpgradeEngine BuildEngine() =>
        DeployChanges.To
            .PostgresqlDatabase(options.ConnectionString)
            .WithScripts(scripts.Select(s => new SqlScript(s.Name, s.Sql)))
            .JournalToPostgresqlTable("public", MigrationCatalog.JournalTable)
            .WithTransactionPerScript()
            .WithVariablesDisabled()
            .LogTo(new ScriptLog(output))
            .Build();

    private async Task<bool> SeedDefaultNamespaceAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO workflow_namespaces (name, description, retention_days, status)
            VALUES ($1, 'Default namespace', 30, 'active')
            ON CONFLICT (name) DO NOTHING
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.DefaultNamespace });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static string OneLine(Exception? error) =>
        (error?.Message ?? "unknown error").ReplaceLineEndings(" ");

    /// <summary>Prints one line per executed script; DbUp's own chatter and stack traces stay out of operator output.</summary>
    private sealed class ScriptLog(TextWriter output) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args)
        {
        }

        public void LogDebug(string format, params object[] args)
        {
        }

        public void LogInformation(string format, params object[] args)
        {
            if (format.StartsWith("Executing Database Server script", StringComparison.Ordinal) && args.Length > 0)
            {
                output.WriteLine($"  applying {args[0]}");
            }
        }

        public void LogWarning(string format, params object[] args)
        {
        }

        public void LogError(string format, params object[] args)
        {
        }

        public void LogError(Exception ex, string format, params object[] args)
        {
        }
    }
}

public sealed record BootstrapOptions(string ConnectionString, string DefaultNamespace, int Retries, TimeSpan RetryDelay);

public sealed class BootstrapException(string message) : Exception(message);
