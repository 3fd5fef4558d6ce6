namespace DurableWorkflow.Core.Workflows;

/// <summary>The run status vocabulary (control-plane spec §4).</summary>
public static class RunStatuses
{
    public static bool IsTerminal(string status) => status is "completed" or "failed" or "cancelled" or "terminated";
}
