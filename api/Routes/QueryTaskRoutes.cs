using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Engine.Queries;

namespace DurableWorkflow.Api.Routes;

/// <summary>Query tasks on the worker plane (worker-protocol spec §5.2–§5.4).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute PollQueryTask { get; } = new(nameof(PollQueryTask), "POST", RouteTemplates.QueryTaskPoll, RoutePolicy.Worker,
        async (HttpContext context, QueryTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.PollAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute CompleteQueryTask { get; } = new(nameof(CompleteQueryTask), "POST", RouteTemplates.QueryTaskComplete, RoutePolicy.Worker,
        async (string queryTaskId, HttpContext context, QueryTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.CompleteAsync(request.Namespace, queryTaskId, request.Body, token));
        });

    public static ApiRoute FailQueryTask { get; } = new(nameof(FailQueryTask), "POST", RouteTemplates.QueryTaskFail, RoutePolicy.Worker,
        async (string queryTaskId, HttpContext context, QueryTaskService tasks, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await tasks.FailAsync(request.Namespace, queryTaskId, request.Body, token));
        });
}
