using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>The worker protocol's query tasks: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class QueryTaskFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.PollQueryTask))]
    public Task<IResult> PollQueryTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.QueryTaskPoll)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.PollQueryTask);

    [Function(nameof(ApiRoutes.CompleteQueryTask))]
    public Task<IResult> CompleteQueryTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.QueryTaskComplete)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CompleteQueryTask);

    [Function(nameof(ApiRoutes.FailQueryTask))]
    public Task<IResult> FailQueryTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.QueryTaskFail)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.FailQueryTask);
}
