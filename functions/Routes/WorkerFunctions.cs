using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Worker registration and the operator view of workers: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class WorkerFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.RegisterWorker))]
    public Task<IResult> RegisterWorker([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkerRegister)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.RegisterWorker);

    [Function(nameof(ApiRoutes.HeartbeatWorker))]
    public Task<IResult> HeartbeatWorker([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkerHeartbeat)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.HeartbeatWorker);

    [Function(nameof(ApiRoutes.DeregisterWorker))]
    public Task<IResult> DeregisterWorker([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = RouteTemplates.WorkerRegistration)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DeregisterWorker);

    [Function(nameof(ApiRoutes.ListWorkers))]
    public Task<IResult> ListWorkers([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Workers)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListWorkers);

    [Function(nameof(ApiRoutes.DescribeWorker))]
    public Task<IResult> DescribeWorker([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Worker)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DescribeWorker);

    [Function(nameof(ApiRoutes.DeleteWorker))]
    public Task<IResult> DeleteWorker([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = RouteTemplates.Worker)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DeleteWorker);
}
