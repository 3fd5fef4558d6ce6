using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>The scheduler passes' admin routes: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class SystemPassFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.GetActivityTimeoutStatus))]
    public Task<IResult> GetActivityTimeoutStatus([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SystemActivityTimeouts)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.GetActivityTimeoutStatus);

    [Function(nameof(ApiRoutes.RunActivityTimeoutPass))]
    public Task<IResult> RunActivityTimeoutPass([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.SystemActivityTimeoutPass)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.RunActivityTimeoutPass);

    [Function(nameof(ApiRoutes.GetRepairStatus))]
    public Task<IResult> GetRepairStatus([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SystemRepair)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.GetRepairStatus);

    [Function(nameof(ApiRoutes.RunRepairPass))]
    public Task<IResult> RunRepairPass([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.SystemRepairPass)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.RunRepairPass);

    [Function(nameof(ApiRoutes.GetRetentionStatus))]
    public Task<IResult> GetRetentionStatus([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SystemRetention)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.GetRetentionStatus);

    [Function(nameof(ApiRoutes.RunRetentionPass))]
    public Task<IResult> RunRetentionPass([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.SystemRetentionPass)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.RunRetentionPass);
}
