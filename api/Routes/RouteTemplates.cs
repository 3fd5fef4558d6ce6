namespace DurableWorkflow.Api.Routes;

/// <summary>
/// Every API route template, relative to the <c>/api/</c> prefix both hosts put in front of them. Constants, so a
/// Functions trigger attribute can name the same template the standalone server maps.
/// </summary>
public static class RouteTemplates
{
    public const string Prefix = "api";

    public const string Liveness = "healthz";
    public const string Health = "health";
    public const string Readiness = "ready";
    public const string ClusterInfo = "cluster/info";

    public const string SystemMetrics = "system/metrics";
    public const string SystemOperatorMetrics = "system/operator-metrics";
    public const string SystemHealth = "system/health";

    public const string Namespaces = "namespaces";
    public const string Namespace = "namespaces/{namespace}";
    public const string NamespaceExternalStorage = "namespaces/{namespace}/external-storage";

    public const string WorkerRegister = "worker/register";
    public const string WorkerHeartbeat = "worker/heartbeat";
    public const string WorkerRegistration = "worker/registrations/{workerId}";
    public const string Workers = "workers";
    public const string Worker = "workers/{workerId}";

    public const string TaskQueues = "task-queues";
    public const string TaskQueue = "task-queues/{taskQueue}";
    public const string TaskQueueBuildIds = "task-queues/{taskQueue}/build-ids";
    public const string TaskQueueBuildIdDrain = "task-queues/{taskQueue}/build-ids/drain";
    public const string TaskQueueBuildIdResume = "task-queues/{taskQueue}/build-ids/resume";
    public const string TaskQueueBuildIdPromote = "task-queues/{taskQueue}/build-ids/promote";

    public const string Workflows = "workflows";
    public const string Workflow = "workflows/{workflowId}";
    public const string WorkflowRuns = "workflows/{workflowId}/runs";
    public const string WorkflowRun = "workflows/{workflowId}/runs/{runId}";
    public const string WorkflowDebug = "workflows/{workflowId}/debug";
    public const string WorkflowRunDebug = "workflows/{workflowId}/runs/{runId}/debug";
    public const string WorkflowRunHistory = "workflows/{workflowId}/runs/{runId}/history";
    public const string WorkflowRunHistoryExport = "workflows/{workflowId}/runs/{runId}/history/export";

    public const string WorkflowSignal = "workflows/{workflowId}/signal/{signalName}";
    public const string WorkflowRunSignal = "workflows/{workflowId}/runs/{runId}/signal/{signalName}";
    public const string WorkflowQuery = "workflows/{workflowId}/query/{queryName}";
    public const string WorkflowRunQuery = "workflows/{workflowId}/runs/{runId}/query/{queryName}";
    public const string WorkflowUpdate = "workflows/{workflowId}/update/{updateName}";
    public const string WorkflowRunUpdate = "workflows/{workflowId}/runs/{runId}/update/{updateName}";
    public const string WorkflowCancel = "workflows/{workflowId}/cancel";
    public const string WorkflowRunCancel = "workflows/{workflowId}/runs/{runId}/cancel";
    public const string WorkflowTerminate = "workflows/{workflowId}/terminate";
    public const string WorkflowRunTerminate = "workflows/{workflowId}/runs/{runId}/terminate";
    public const string WorkflowRepair = "workflows/{workflowId}/repair";
    public const string WorkflowArchive = "workflows/{workflowId}/archive";

    public const string WorkflowTaskPoll = "worker/workflow-tasks/poll";
    public const string WorkflowTaskHistory = "worker/workflow-tasks/{taskId}/history";
    public const string WorkflowTaskHeartbeat = "worker/workflow-tasks/{taskId}/heartbeat";
    public const string WorkflowTaskComplete = "worker/workflow-tasks/{taskId}/complete";
    public const string WorkflowTaskFail = "worker/workflow-tasks/{taskId}/fail";

    public const string QueryTaskPoll = "worker/query-tasks/poll";
    public const string QueryTaskComplete = "worker/query-tasks/{queryTaskId}/complete";
    public const string QueryTaskFail = "worker/query-tasks/{queryTaskId}/fail";

    public const string ActivityTaskPoll = "worker/activity-tasks/poll";
    public const string ActivityTaskComplete = "worker/activity-tasks/{taskId}/complete";
    public const string ActivityTaskFail = "worker/activity-tasks/{taskId}/fail";
    public const string ActivityTaskHeartbeat = "worker/activity-tasks/{taskId}/heartbeat";

    public const string Schedules = "schedules";
    public const string Schedule = "schedules/{scheduleId}";
    public const string SchedulePause = "schedules/{scheduleId}/pause";
    public const string ScheduleResume = "schedules/{scheduleId}/resume";
    public const string ScheduleTrigger = "schedules/{scheduleId}/trigger";
    public const string ScheduleBackfill = "schedules/{scheduleId}/backfill";
    public const string ScheduleHistory = "schedules/{scheduleId}/history";

    public const string SearchAttributes = "search-attributes";
    public const string SearchAttribute = "search-attributes/{name}";

    public const string SystemActivityTimeouts = "system/activity-timeouts";
    public const string SystemActivityTimeoutPass = "system/activity-timeouts/pass";
    public const string SystemRepair = "system/repair";
    public const string SystemRepairPass = "system/repair/pass";
    public const string SystemRetention = "system/retention";
    public const string SystemRetentionPass = "system/retention/pass";

    public const string StorageTest = "storage/test";
    public const string BridgeWebhook = "bridge-adapters/webhook/{adapter}";
}
