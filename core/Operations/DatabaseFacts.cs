namespace DurableWorkflow.Core.Operations;

/// <summary>
/// What the connected PostgreSQL says about itself: a read-only session or a standby in recovery cannot take a single
/// write, and servers before 13 lack features the migrations use. Read by readiness on every probe (one cheap query).
/// </summary>
public sealed record DatabaseFacts(bool ReadOnly, bool InRecovery, int ServerVersionNum)
{
    /// <summary>The oldest PostgreSQL major the migrations and claim queries are written for.</summary>
    public const int MinimumServerVersionNum = 130000;

    public const string Sql =
        "SELECT current_setting('transaction_read_only') = 'on', pg_is_in_recovery(), current_setting('server_version_num')::int";
}
