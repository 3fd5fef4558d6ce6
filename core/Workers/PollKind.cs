namespace DurableWorkflow.Core.Workers;

/// <summary>Which poll asks for admission; build-id and drain checks apply to workflow and activity polls only.</summary>
public enum PollKind
{
    Workflow,
    Activity,
    Query,
}
