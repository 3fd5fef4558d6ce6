using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>The worker protocol's activity tasks: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class ActivityTaskFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.PollActivityTask))]
    public Task<IResult> PollActivityTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ActivityTaskPoll)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.PollActivityTask);

    [Function(nameof(ApiRoutes.CompleteActivityTask))]
    public Task<IResult> CompleteActivityTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ActivityTaskComplete)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CompleteActivityTask);

    [Function(nameof(ApiRoutes.FailActivityTask))]
    public Task<IResult> FailActivityTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ActivityTaskFail)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.FailActivityTask);

    [Function(nameof(ApiRoutes.HeartbeatActivityTask))]
    public Task<IResult> HeartbeatActivityTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ActivityTaskHeartbeat)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.HeartbeatActivityTask);
}
