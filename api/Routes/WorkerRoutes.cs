using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workers;

namespace DurableWorkflow.Api.Routes;

/// <summary>
/// Worker lifecycle on the worker plane (worker protocol §2) and worker management on the control plane (control
/// plane §7). Polls are routes of the task engine; they admit workers through <see cref="WorkerRegistry.AdmitPollAsync"/>.
/// </summary>
public static partial class ApiRoutes
{
    public static ApiRoute RegisterWorker { get; } = new(nameof(RegisterWorker), "POST", RouteTemplates.WorkerRegister, RoutePolicy.Worker,
        async (HttpContext context, WorkerRegistry registry, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await registry.RegisterAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute HeartbeatWorker { get; } = new(nameof(HeartbeatWorker), "POST", RouteTemplates.WorkerHeartbeat, RoutePolicy.Worker,
        async (HttpContext context, WorkerRegistry registry, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await registry.HeartbeatAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute DeregisterWorker { get; } = new(nameof(DeregisterWorker), "DELETE", RouteTemplates.WorkerRegistration, RoutePolicy.Worker,
        async (string workerId, HttpContext context, WorkerRegistry registry, CancellationToken token) =>
            ApiResults.From(await registry.DeregisterAsync(ApiRequest.Of(context).Namespace, workerId, token)));

    public static ApiRoute ListWorkers { get; } = new(nameof(ListWorkers), "GET", RouteTemplates.Workers, OperatorControl,
        async (HttpContext context, WorkerRegistry registry, CancellationToken token) =>
        {
            var query = context.Request.Query;
            return ApiResults.Json(await registry.ListAsync(ApiRequest.Of(context).Namespace, query["task_queue"], query["status"], token));
        });

    public static ApiRoute DescribeWorker { get; } = new(nameof(DescribeWorker), "GET", RouteTemplates.Worker, OperatorControl,
        async (string workerId, HttpContext context, WorkerRegistry registry, CancellationToken token) =>
            ApiResults.From(await registry.DescribeAsync(ApiRequest.Of(context).Namespace, workerId, token)));

    public static ApiRoute DeleteWorker { get; } = new(nameof(DeleteWorker), "DELETE", RouteTemplates.Worker, AdminControl,
        async (string workerId, HttpContext context, WorkerRegistry registry, CancellationToken token) =>
            ApiResults.From(await registry.DeleteAsync(ApiRequest.Of(context).Namespace, workerId, token)));

    private static RoutePolicy OperatorControl => RoutePolicy.Control(RouteGuard.Operator);

    private static RoutePolicy AdminControl => RoutePolicy.Control(RouteGuard.Admin);
}
