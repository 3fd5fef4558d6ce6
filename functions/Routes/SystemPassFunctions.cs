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
}
