using DurableWorkflow.Core.Engine.Queries;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>Query tasks on the worker plane (worker-protocol spec §5.2–§5.4).</summary>
public static class QueryTaskEndpoints
{
    public static void MapQueryTaskEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapApi("POST", "/api/worker/query-tasks/poll", RoutePolicy.Worker, async (HttpContext context, QueryTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.PollAsync(request.Namespace, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/query-tasks/{queryTaskId}/complete", RoutePolicy.Worker, async (string queryTaskId, HttpContext context, QueryTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.CompleteAsync(request.Namespace, queryTaskId, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/query-tasks/{queryTaskId}/fail", RoutePolicy.Worker, async (string queryTaskId, HttpContext context, QueryTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.FailAsync(request.Namespace, queryTaskId, request.Body, token));
        });
    }
}
