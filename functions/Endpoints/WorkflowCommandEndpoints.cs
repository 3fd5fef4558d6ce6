using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workflows;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>
/// Workflow commands (control-plane spec §4.6): signal, query, update, cancel and terminate on the instance path and
/// the run path, repair and archive on the instance path. <see cref="ApiResponses"/> attaches the
/// <c>control_plane</c> block and the URL ids to every answer.
/// </summary>
public static class WorkflowCommandEndpoints
{
    public static void MapWorkflowCommandEndpoints(this IEndpointRouteBuilder routes)
    {
        var policy = RoutePolicy.Control(RouteGuard.Operator);

        foreach (var prefix in new[] { "/api/workflows/{workflowId}", "/api/workflows/{workflowId}/runs/{runId}" })
        {
            routes.MapApi("POST", $"{prefix}/signal/{{signalName}}", policy,
                async (string workflowId, string signalName, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
                {
                    var request = ApiRequest.Of(context);
                    return ApiResults.From(await service.SignalAsync(request.Namespace, Target(context, workflowId), signalName, request.Body, token));
                });

            routes.MapApi("POST", $"{prefix}/query/{{queryName}}", policy,
                async (string workflowId, string queryName, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
                {
                    var request = ApiRequest.Of(context);
                    return ApiResults.From(await service.QueryAsync(request.Namespace, Target(context, workflowId), queryName, request.Body, token));
                });

            routes.MapApi("POST", $"{prefix}/update/{{updateName}}", policy,
                async (string workflowId, string updateName, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
                {
                    var request = ApiRequest.Of(context);
                    return ApiResults.From(await service.UpdateAsync(request.Namespace, Target(context, workflowId), updateName, request.Body, token));
                });

            routes.MapApi("POST", $"{prefix}/cancel", policy,
                async (string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
                {
                    var request = ApiRequest.Of(context);
                    return ApiResults.From(await service.CancelAsync(request.Namespace, Target(context, workflowId), request.Body, token));
                });

            routes.MapApi("POST", $"{prefix}/terminate", policy,
                async (string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
                {
                    var request = ApiRequest.Of(context);
                    return ApiResults.From(await service.TerminateAsync(request.Namespace, Target(context, workflowId), request.Body, token));
                });
        }

        routes.MapApi("POST", "/api/workflows/{workflowId}/repair", policy,
            async (string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
            {
                var request = ApiRequest.Of(context);
                return ApiResults.From(await service.RepairAsync(request.Namespace, workflowId, request.Body, token));
            });

        routes.MapApi("POST", "/api/workflows/{workflowId}/archive", policy,
            async (string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
            {
                var request = ApiRequest.Of(context);
                return ApiResults.From(await service.ArchiveAsync(request.Namespace, workflowId, request.Body, token));
            });
    }

    /// <summary>The run path names its run; the instance path addresses whichever run is current.</summary>
    private static CommandTarget Target(HttpContext context, string workflowId) =>
        new(workflowId, context.GetRouteValue("runId") as string);
}
