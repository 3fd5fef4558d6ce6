namespace DurableWorkflow.Cli.Commands;

/// <summary>Which compatibility preflight a command runs before its first request (spec §13.3).</summary>
public enum Preflight
{
    None,
    Control,
    Worker,
}
