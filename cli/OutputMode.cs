namespace DurableWorkflow.Cli;

/// <summary><c>--output table|json|jsonl</c>; <c>--json</c> is <see cref="Json"/>.</summary>
public enum OutputMode
{
    Table,
    Json,
    Jsonl,
}
