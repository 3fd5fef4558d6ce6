namespace DurableWorkflow.Api.Routes;

/// <summary>
/// The route table: one <see cref="ApiRoute"/> per route and method, declared by area in the other parts of this
/// class. Hosts map <see cref="All"/>; a host that declares one function per route names the property instead.
/// </summary>
public static partial class ApiRoutes
{
    // A static constructor runs after every part's property initializers, whatever order the compiler gives the parts.
    static ApiRoutes()
    {
        All =
        [
            Liveness, Health, Readiness, ClusterInfo,
            ListNamespaces, CreateNamespace, DescribeNamespace, UpdateNamespace, SetNamespaceExternalStorage,
            RegisterWorker, HeartbeatWorker, DeregisterWorker, ListWorkers, DescribeWorker, DeleteWorker,
            ListTaskQueues, DescribeTaskQueue, ListTaskQueueBuildIds, DrainTaskQueueBuildId, ResumeTaskQueueBuildId, PromoteTaskQueueBuildId,
            StartWorkflow, ListWorkflows, DescribeWorkflow, ListWorkflowRuns, DescribeWorkflowRun,
            DebugWorkflow, DebugWorkflowRun, GetWorkflowRunHistory, ExportWorkflowRunHistory,
            SignalWorkflow, SignalWorkflowRun, QueryWorkflow, QueryWorkflowRun, UpdateWorkflow, UpdateWorkflowRun,
            CancelWorkflow, CancelWorkflowRun, TerminateWorkflow, TerminateWorkflowRun, RepairWorkflow, ArchiveWorkflow,
            PollWorkflowTask, GetWorkflowTaskHistory, HeartbeatWorkflowTask, CompleteWorkflowTask, FailWorkflowTask,
            PollQueryTask, CompleteQueryTask, FailQueryTask,
            PollActivityTask, CompleteActivityTask, FailActivityTask, HeartbeatActivityTask,
            ListSchedules, CreateSchedule, DescribeSchedule, UpdateSchedule, DeleteSchedule,
            PauseSchedule, ResumeSchedule, TriggerSchedule, BackfillSchedule, GetScheduleHistory,
            GetActivityTimeoutStatus, RunActivityTimeoutPass, GetRepairStatus, RunRepairPass, GetRetentionStatus, RunRetentionPass,
            SystemMetrics, SystemOperatorMetrics, SystemHealth,
            ListSearchAttributes, CreateSearchAttribute, DeleteSearchAttribute,
            TestStorage, ReceiveBridgeWebhook,
        ];
    }

    public static IReadOnlyList<ApiRoute> All { get; }
}
