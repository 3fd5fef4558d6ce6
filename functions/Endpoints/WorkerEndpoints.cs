using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workers;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>
/// Worker lifecycle on the worker plane (worker protocol §2) and worker management on the control plane (control
/// plane §7). Polls are mapped with the task engine; they admit workers through <see cref="WorkerRegistry.AdmitPollAsync"/>.
/// </summary>
public static class WorkerEndpoints
{
    public static void MapWorkerEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapApi("POST", "/api/worker/register", RoutePolicy.Worker, async (HttpContext context, WorkerRegistry registry, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await registry.RegisterAsync(request.Namespace, request.Body, token));
        });

        routes.MapApi("POST", "/api/worker/heartbeat", RoutePolicy.Worker, async (HttpContext context, WorkerRegistry registry, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await registry.HeartbeatAsync(request.Namespace, request.Body, token));
        });

        routes.MapApi("DELETE", "/api/worker/registrations/{workerId}", RoutePolicy.Worker, async (string workerId, HttpContext context, WorkerRegistry registry, CancellationToken token) =>
            ApiResults.From(await registry.DeregisterAsync(ApiRequest.Of(context).Namespace, workerId, token)));

        var read = RoutePolicy.Control(RouteGuard.Operator);
        var admin = RoutePolicy.Control(RouteGuard.Admin);

        routes.MapApi("GET", "/api/workers", read, async (HttpContext context, WorkerRegistry registry, CancellationToken token) =>
        {
            var query = context.Request.Query;
            return ApiResults.Json(await registry.ListAsync(ApiRequest.Of(context).Namespace, query["task_queue"], query["status"], token));
        });

        routes.MapApi("GET", "/api/workers/{workerId}", read, async (string workerId, HttpContext context, WorkerRegistry registry, CancellationToken token) =>
            ApiResults.From(await registry.DescribeAsync(ApiRequest.Of(context).Namespace, workerId, token)));

        routes.MapApi("DELETE", "/api/workers/{workerId}", admin, async (string workerId, HttpContext context, WorkerRegistry registry, CancellationToken token) =>
            ApiResults.From(await registry.DeleteAsync(ApiRequest.Of(context).Namespace, workerId, token)));
    }
}
