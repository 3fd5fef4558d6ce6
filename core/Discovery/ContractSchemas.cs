namespace DurableWorkflow.Core.Discovery;

/// <summary>Schema names of the manifests published in cluster info; clients match them by exact string.</summary>
public static class ContractSchemas
{
    public const string AuthComposition = "durable-workflow.v2.auth-composition.contract";
    public const string ExternalExecutionSurface = "durable-workflow.v2.external-execution-surface.contract";
    public const string ExternalExecutorConfig = "durable-workflow.v2.external-executor-config.contract";
    public const string ExternalExecutorConfigFile = "durable-workflow.external-executor.config";
    public const string InvocableCarrier = "durable-workflow.v2.invocable-carrier.contract";
    public const string ExternalTaskInput = "durable-workflow.v2.external-task-input.contract";
    public const string ExternalTaskResult = "durable-workflow.v2.external-task-result.contract";
    public const string ExternalTaskInputEnvelope = "durable-workflow.v2.external-task-input";
    public const string ExternalTaskResultEnvelope = "durable-workflow.v2.external-task-result";
    public const string BridgeAdapterOutcome = "durable-workflow.v2.bridge-adapter-outcome.contract";
    public const string ClientCompatibility = "durable-workflow.v2.client-compatibility";
    public const string RoleTopology = "durable-workflow.v2.role-topology";
    public const string CoordinationHealth = "durable-workflow.v2.coordination-health.contract";
}
