using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>Workflow tasks on the worker plane (worker-protocol spec §3).</summary>
public static class WorkflowTaskEndpoints
{
    public static void MapWorkflowTaskEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapApi("POST", "/api/worker/workflow-tasks/poll", RoutePolicy.Worker, async (HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.PollAsync(request.Namespace, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/workflow-tasks/{taskId}/history", RoutePolicy.Worker, async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.HistoryAsync(request.Namespace, taskId, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/workflow-tasks/{taskId}/heartbeat", RoutePolicy.Worker, async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.HeartbeatAsync(request.Namespace, taskId, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/workflow-tasks/{taskId}/complete", RoutePolicy.Worker, async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.CompleteAsync(request.Namespace, taskId, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/workflow-tasks/{taskId}/fail", RoutePolicy.Worker, async (string taskId, HttpContext context, WorkflowTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.FailAsync(request.Namespace, taskId, request.Body, token));
        });
    }
}
