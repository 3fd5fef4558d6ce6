using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>Activity tasks on the worker plane (worker-protocol spec §4).</summary>
public static class ActivityTaskEndpoints
{
    public static void MapActivityTaskEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapApi("POST", "/api/worker/activity-tasks/poll", RoutePolicy.Worker, async (HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.PollAsync(request.Namespace, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/activity-tasks/{taskId}/complete", RoutePolicy.Worker, async (string taskId, HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.CompleteAsync(request.Namespace, taskId, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/activity-tasks/{taskId}/fail", RoutePolicy.Worker, async (string taskId, HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.FailAsync(request.Namespace, taskId, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/activity-tasks/{taskId}/heartbeat", RoutePolicy.Worker, async (string taskId, HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.HeartbeatAsync(request.Namespace, taskId, request.Body, token));
        });
    }
}
