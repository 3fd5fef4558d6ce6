using System.Data.Common;
using Npgsql;

namespace DurableWorkflow.Core.Configuration;

/// <summary>
/// The server's Npgsql defaults, each applied only when the operator's <c>DW_DB_CONNECTION</c> does not name that
/// keyword (under any of its spellings), so an explicit value always wins.
/// <list type="bullet">
/// <item><c>No Reset On Close=true</c>: a pooled connection is not reset (<c>DISCARD ALL</c>) when it is returned. The
/// server keeps no session state on a pooled connection: every <c>SET</c> is <c>SET LOCAL</c>, there are no temp tables or
/// <c>LISTEN</c>, and the one session advisory lock (the scheduler tick's) is released by its holder before it returns
/// the connection, and the connection is dropped from the pool if that release fails.</item>
/// <item><c>Max Auto Prepare</c> / <c>Auto Prepare Min Usages</c>: the hot statements are prepared once per physical
/// connection instead of parsed and planned on every call. Every statement names its result columns, so an additive
/// migration applied while a node runs does not change a prepared statement's result type.</item>
/// </list>
/// </summary>
public static class ConnectionDefaults
{
    public const int MaxAutoPrepare = 128;

    public const int AutoPrepareMinUsages = 2;

    public static void Apply(NpgsqlConnectionStringBuilder builder, string operatorValue)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var named = NamedKeywords(operatorValue);
        if (!named.Contains("noresetonclose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!named.Contains("maxautoprepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        if (!named.Contains("autoprepareminusages"))
        {
            builder.AutoPrepareMinUsages = AutoPrepareMinUsages;
        }
    }

    /// <summary>The keywords the operator wrote, spaces dropped and lower-cased ("No Reset On Close" = "NoResetOnClose").</summary>
    private static HashSet<string> NamedKeywords(string value)
    {
        var raw = new DbConnectionStringBuilder { ConnectionString = value };
        return [.. raw.Keys.Cast<string>().Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant())];
    }
}
