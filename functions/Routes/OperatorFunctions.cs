using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Admin operator surfaces: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class OperatorFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.SystemMetrics))]
    public Task<IResult> SystemMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SystemMetrics)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.SystemMetrics);

    [Function(nameof(ApiRoutes.SystemOperatorMetrics))]
    public Task<IResult> SystemOperatorMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SystemOperatorMetrics)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.SystemOperatorMetrics);

    [Function(nameof(ApiRoutes.SystemHealth))]
    public Task<IResult> SystemHealth([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SystemHealth)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.SystemHealth);
}
