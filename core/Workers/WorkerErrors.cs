using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workers;

/// <summary>The worker lifecycle and poll-admission errors with the reasons and context keys of worker protocol §1.11.</summary>
public static class WorkerErrors
{
    public static ApiError NotRegisteredForPoll(string workerId) =>
        new ApiError(412, "worker_not_registered", "Worker must be registered before polling. Call POST /worker/register first.")
            .With("worker_id", workerId);

    public static ApiError NotRegistered(string workerId) =>
        new ApiError(404, "worker_not_registered", "Worker not registered.")
            .With("worker_id", workerId);

    public static ApiError NotFound(string ns, string workerId) =>
        new ApiError(404, "worker_not_found", $"Worker [{workerId}] not found in namespace [{ns}].")
            .With("worker_id", workerId);

    public static ApiError TaskQueueMismatch(string workerId, string registered, string requested) =>
        new ApiError(409, "task_queue_mismatch", $"Worker [{workerId}] is registered for task queue [{registered}], not [{requested}].")
            .With("worker_id", workerId)
            .With("registered_task_queue", registered)
            .With("requested_task_queue", requested);

    public static ApiError BuildIdMismatch(string workerId, string registered, string requested) =>
        new ApiError(
                409,
                "build_id_mismatch",
                $"Worker [{workerId}] is registered with build_id [{registered}], but poll requested build_id [{requested}]. Re-register to update.")
            .With("worker_id", workerId)
            .With("registered_build_id", registered)
            .With("requested_build_id", requested);

    /// <summary>An empty poll answer shape (<c>task: null</c>) so SDKs that read the task key see "nothing claimed".</summary>
    public static ApiError Draining(WorkerRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return new ApiError(
                409,
                "worker_draining",
                $"Worker [{registration.WorkerId}] is marked draining for task queue [{registration.TaskQueue}] and cannot claim new tasks until the cohort is resumed.")
            .With("task", null)
            .With("poll_status", "draining")
            .With("worker_id", registration.WorkerId)
            .With("task_queue", registration.TaskQueue)
            .With("registered_build_id", registration.MatchingBuildId)
            .With("worker_status", WorkerStatus.Draining)
            .With("drain_intent", WorkerStatus.Draining);
    }

    public static ApiError DefinitionChanged(string workerId, string workflowType) =>
        new ApiError(409, "workflow_definition_changed", "Worker attempted to re-register a changed workflow definition.")
            .With("worker_id", workerId)
            .With("workflow_type", workflowType)
            .With(
                "remediation",
                $"The definition fingerprint of workflow type [{workflowType}] differs from the one this active worker registered. Restart the worker with a new worker_id to serve the changed definition.");
}
