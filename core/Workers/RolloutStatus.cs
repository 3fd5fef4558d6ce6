namespace DurableWorkflow.Core.Workers;

/// <summary>The derived cohort status of rollout contract §6.4, evaluated top-down, and its list-ordering rank.</summary>
public static class RolloutStatus
{
    public const string Active = "active";
    public const string ActiveWithDraining = "active_with_draining";
    public const string Draining = "draining";
    public const string StaleOnly = "stale_only";
    public const string NoWorkers = "no_workers";

    public static string Derive(int activeCount, int drainingCount, int staleCount, bool intentDraining)
    {
        if (activeCount > 0)
        {
            return intentDraining || drainingCount > 0 ? ActiveWithDraining : Active;
        }

        if (drainingCount > 0 || intentDraining)
        {
            return Draining;
        }

        return staleCount > 0 ? StaleOnly : NoWorkers;
    }

    /// <summary><c>2 × statusRank + (1 if unversioned)</c>; lower sorts first.</summary>
    public static int Rank(string status, bool unversioned)
    {
        var statusRank = status switch
        {
            Active => 0,
            ActiveWithDraining => 1,
            Draining => 2,
            StaleOnly => 3,
            _ => 4,
        };
        return (2 * statusRank) + (unversioned ? 1 : 0);
    }
}
