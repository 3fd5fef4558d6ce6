using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Engine.Activities;

namespace DurableWorkflow.Api.Routes;

/// <summary>Activity tasks on the worker plane (worker-protocol spec §4).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute PollActivityTask { get; } = new(nameof(PollActivityTask), "POST", RouteTemplates.ActivityTaskPoll, RoutePolicy.Worker,
        async (HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.PollAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute CompleteActivityTask { get; } = new(nameof(CompleteActivityTask), "POST", RouteTemplates.ActivityTaskComplete, RoutePolicy.Worker,
        async (string taskId, HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.CompleteAsync(request.Namespace, taskId, request.Body, token));
        });

    public static ApiRoute FailActivityTask { get; } = new(nameof(FailActivityTask), "POST", RouteTemplates.ActivityTaskFail, RoutePolicy.Worker,
        async (string taskId, HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.FailAsync(request.Namespace, taskId, request.Body, token));
        });

    public static ApiRoute HeartbeatActivityTask { get; } = new(nameof(HeartbeatActivityTask), "POST", RouteTemplates.ActivityTaskHeartbeat, RoutePolicy.Worker,
        async (string taskId, HttpContext context, ActivityTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.HeartbeatAsync(request.Namespace, taskId, request.Body, token));
        });
}
