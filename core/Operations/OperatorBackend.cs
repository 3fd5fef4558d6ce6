using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Operations;

/// <summary>
/// The operator-metrics <c>backend</c> block (control-plane §10.2): this server's own storage, task transport and
/// cache. PostgreSQL is the only database and tasks are handed out by polling it, so both are always supported; the
/// cache only accelerates wake-ups, so an in-process cache on a multi-node deployment is a warning, never an error.
/// </summary>
public static class OperatorBackend
{
    public static JsonObject Describe(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var redis = settings.RedisConnection is not null;
        var issues = new JsonArray();
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
            ["supported"] = true,
            ["database"] = new JsonObject
            {
                ["connection"] = "pgsql",
                ["driver"] = "pgsql",
                ["supported"] = true,
                ["capabilities"] = new JsonObject
                {
                    ["transactions"] = true,
                    ["after_commit_callbacks"] = true,
                    ["durable_ordering"] = true,
                    ["row_locks"] = true,
                },
                ["issues"] = new JsonArray(),
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
            ["severity"] = issues.Count > 0 ? "warning" : "ok",
            ["issues"] = issues,
        };
    }

    private static JsonObject Issue(string component, string severity, string code, string message) => new()
    {
        ["component"] = component,
        ["severity"] = severity,
        ["code"] = code,
        ["message"] = message,
    };
}
