using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Operations;
using DurableWorkflow.Core.Workers;

namespace DurableWorkflow.Api.Routes;

/// <summary>
/// Task queues with their per-kind admission view (rollout contract §6.5), build-id cohorts and their rollout intent
/// (§6.3–6.6, §6.8), operator role.
/// </summary>
public static partial class ApiRoutes
{
    public static ApiRoute ListTaskQueues { get; } = new(nameof(ListTaskQueues), "GET", RouteTemplates.TaskQueues, OperatorControl,
        async (HttpContext context, TaskQueueReader reader, CancellationToken token) =>
            ApiResults.Json(await reader.ListAsync(ApiRequest.Of(context).Namespace, token)));

    public static ApiRoute DescribeTaskQueue { get; } = new(nameof(DescribeTaskQueue), "GET", RouteTemplates.TaskQueue, OperatorControl,
        async (string taskQueue, HttpContext context, TaskQueueReader reader, CancellationToken token) =>
            ApiResults.Json(await reader.DescribeAsync(ApiRequest.Of(context).Namespace, taskQueue, token)));

    public static ApiRoute ListTaskQueueBuildIds { get; } = new(nameof(ListTaskQueueBuildIds), "GET", RouteTemplates.TaskQueueBuildIds, OperatorControl,
        async (string taskQueue, HttpContext context, BuildIdRolloutService service, CancellationToken token) =>
            ApiResults.Json(await service.ListAsync(ApiRequest.Of(context).Namespace, taskQueue, token)));

    public static ApiRoute DrainTaskQueueBuildId { get; } = new(nameof(DrainTaskQueueBuildId), "POST", RouteTemplates.TaskQueueBuildIdDrain, OperatorControl,
        async (string taskQueue, HttpContext context, BuildIdRolloutService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.DrainAsync(request.Namespace, taskQueue, request.Body, token));
        });

    public static ApiRoute ResumeTaskQueueBuildId { get; } = new(nameof(ResumeTaskQueueBuildId), "POST", RouteTemplates.TaskQueueBuildIdResume, OperatorControl,
        async (string taskQueue, HttpContext context, BuildIdRolloutService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.ResumeAsync(request.Namespace, taskQueue, request.Body, token));
        });

    public static ApiRoute PromoteTaskQueueBuildId { get; } = new(nameof(PromoteTaskQueueBuildId), "POST", RouteTemplates.TaskQueueBuildIdPromote, OperatorControl,
        async (string taskQueue, HttpContext context, BuildIdRolloutService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.PromoteAsync(request.Namespace, taskQueue, request.Body, token));
        });
}
