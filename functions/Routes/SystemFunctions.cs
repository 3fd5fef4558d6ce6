using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Liveness, readiness and discovery: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class SystemFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.Liveness))]
    public Task<IResult> Liveness([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = RouteTemplates.Liveness)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.Liveness);

    [Function(nameof(ApiRoutes.Health))]
    public Task<IResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = RouteTemplates.Health)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.Health);

    [Function(nameof(ApiRoutes.Readiness))]
    public Task<IResult> Readiness([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = RouteTemplates.Readiness)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.Readiness);

    [Function(nameof(ApiRoutes.ClusterInfo))]
    public Task<IResult> ClusterInfo([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.ClusterInfo)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ClusterInfo);
}
