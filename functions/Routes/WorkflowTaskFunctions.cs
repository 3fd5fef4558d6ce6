using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>The worker protocol's workflow tasks: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class WorkflowTaskFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.PollWorkflowTask))]
    public Task<IResult> PollWorkflowTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowTaskPoll)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.PollWorkflowTask);

    [Function(nameof(ApiRoutes.GetWorkflowTaskHistory))]
    public Task<IResult> GetWorkflowTaskHistory([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowTaskHistory)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.GetWorkflowTaskHistory);

    [Function(nameof(ApiRoutes.HeartbeatWorkflowTask))]
    public Task<IResult> HeartbeatWorkflowTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowTaskHeartbeat)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.HeartbeatWorkflowTask);

    [Function(nameof(ApiRoutes.CompleteWorkflowTask))]
    public Task<IResult> CompleteWorkflowTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowTaskComplete)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CompleteWorkflowTask);

    [Function(nameof(ApiRoutes.FailWorkflowTask))]
    public Task<IResult> FailWorkflowTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowTaskFail)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.FailWorkflowTask);
}
