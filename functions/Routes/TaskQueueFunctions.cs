using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Task queues, their build-id cohorts and rollout intent: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class TaskQueueFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.ListTaskQueues))]
    public Task<IResult> ListTaskQueues([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.TaskQueues)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListTaskQueues);

    [Function(nameof(ApiRoutes.DescribeTaskQueue))]
    public Task<IResult> DescribeTaskQueue([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.TaskQueue)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DescribeTaskQueue);

    [Function(nameof(ApiRoutes.ListTaskQueueBuildIds))]
    public Task<IResult> ListTaskQueueBuildIds([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.TaskQueueBuildIds)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListTaskQueueBuildIds);

    [Function(nameof(ApiRoutes.DrainTaskQueueBuildId))]
    public Task<IResult> DrainTaskQueueBuildId([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.TaskQueueBuildIdDrain)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DrainTaskQueueBuildId);

    [Function(nameof(ApiRoutes.ResumeTaskQueueBuildId))]
    public Task<IResult> ResumeTaskQueueBuildId([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.TaskQueueBuildIdResume)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ResumeTaskQueueBuildId);

    [Function(nameof(ApiRoutes.PromoteTaskQueueBuildId))]
    public Task<IResult> PromoteTaskQueueBuildId([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.TaskQueueBuildIdPromote)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.PromoteTaskQueueBuildId);
}
