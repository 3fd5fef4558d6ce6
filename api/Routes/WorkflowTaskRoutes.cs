using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Engine.WorkflowTasks;

namespace DurableWorkflow.Api.Routes;

/// <summary>Workflow tasks on the worker plane (worker-protocol spec §3).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute PollWorkflowTask { get; } = new(nameof(PollWorkflowTask), "POST", RouteTemplates.WorkflowTaskPoll, RoutePolicy.Worker,
        async (HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.PollAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute GetWorkflowTaskHistory { get; } = new(nameof(GetWorkflowTaskHistory), "POST", RouteTemplates.WorkflowTaskHistory, RoutePolicy.Worker,
        async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.HistoryAsync(request.Namespace, taskId, request.Body, token));
        });

    public static ApiRoute HeartbeatWorkflowTask { get; } = new(nameof(HeartbeatWorkflowTask), "POST", RouteTemplates.WorkflowTaskHeartbeat, RoutePolicy.Worker,
        async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.HeartbeatAsync(request.Namespace, taskId, request.Body, token));
        });

    public static ApiRoute CompleteWorkflowTask { get; } = new(nameof(CompleteWorkflowTask), "POST", RouteTemplates.WorkflowTaskComplete, RoutePolicy.Worker,
        async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.CompleteAsync(request.Namespace, taskId, request.Body, token));
        });

    public static ApiRoute FailWorkflowTask { get; } = new(nameof(FailWorkflowTask), "POST", RouteTemplates.WorkflowTaskFail, RoutePolicy.Worker,
        async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.FailAsync(request.Namespace, taskId, request.Body, token));
        });
}
