using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The operator-metrics <c>backend</c> block (control-plane §10.2): this server's own storage, task transport and
/// cache. PostgreSQL is the only database and tasks are handed out by polling it; the cache only accelerates wake-ups,
/// so an in-process cache on a multi-node deployment is a warning, never an error. When database facts were read, a database that cannot take writes (read-only session, standby in
/// recovery) or is older than the supported major is an <c>error</c>: nothing could be dispatched or claimed.
/// </summary>
public static class OperatorBackend
{
    public static JsonObject Describe(ServerSettings settings, DatabaseFacts? database = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var redis = settings.RedisConnection is not null;
        var issues = new JsonArray();
        var databaseIssues = new JsonArray();
        foreach (var (code, message) in DatabaseIssues(database))
        {
            databaseIssues.Add(Issue("database", "error", code, message));
            issues.Add(Issue("database", "error", code, message));
        }

        var cacheIssues = new JsonArray();
        if (!redis && settings.MultiNode)
        {
            cacheIssues.Add(Issue("cache", "warning", "cache_not_shared",
                "Multi-node is declared but the cache is in-process; long-poll wake-ups do not cross nodes."));
            issues.Add(Issue("cache", "warning", "cache_not_shared",
                "Multi-node is declared but the cache is in-process; long-poll wake-ups do not cross nodes."));
        }

        return new JsonObject
        {
            ["supported"] = databaseIssues.Count == 0,
            ["database"] = new JsonObject
            {
                ["connection"] = "pgsql",
                ["driver"] = "pgsql",
                ["supported"] = databaseIssues.Count == 0,
                ["capabilities"] = new JsonObject
                {
                    ["transactions"] = true,
                    ["after_commit_callbacks"] = true,
                    ["durable_ordering"] = true,
                    ["row_locks"] = true,
                },
                ["issues"] = databaseIssues,
            },
            ["queue"] = new JsonObject
            {
                ["connection"] = "database",
                ["driver"] = "database",
                ["supported"] = true,
                ["capabilities"] = new JsonObject
                {
                    ["async_delivery"] = true,
                    ["delayed_delivery"] = true,
                    ["requires_worker"] = false,
                    ["max_delay_seconds"] = null,
                    ["after_commit_option"] = null,
                },
                ["issues"] = new JsonArray(),
            },
            ["cache"] = new JsonObject
            {
                ["store"] = redis ? "redis" : "array",
                ["driver"] = redis ? "redis" : "array",
                ["supported"] = true,
                ["capabilities"] = new JsonObject { ["atomic_locks"] = redis },
                ["issues"] = cacheIssues,
            },
            ["severity"] = databaseIssues.Count > 0 ? "error" : issues.Count > 0 ? "warning" : "ok",
            ["issues"] = issues,
        };
    }

    private static IEnumerable<(string Code, string Message)> DatabaseIssues(DatabaseFacts? database)
    {
        if (database is null)
        {
            yield break;
        }

        if (database.InRecovery)
        {
            yield return ("database_in_recovery", "The database is a standby in recovery and cannot take writes.");
        }
        else if (database.ReadOnly)
        {
            yield return ("database_read_only", "The database session is read-only (default_transaction_read_only) and cannot take writes.");
        }

        if (database.ServerVersionNum < DatabaseFacts.MinimumServerVersionNum)
        {
            yield return ("database_version_unsupported",
                $"PostgreSQL {database.ServerVersionNum} is older than the supported minimum {DatabaseFacts.MinimumServerVersionNum}.");
        }
    }

    private static JsonObject Issue(string component, string severity, string code, string message) => new()
    {
        ["component"] = component,
        ["severity"] = severity,
        ["code"] = code,
        ["message"] = message,
    };
}
