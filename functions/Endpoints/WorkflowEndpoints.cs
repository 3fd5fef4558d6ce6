using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workflows;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>
/// Workflow start and reads (control-plane spec §4.1–§4.5, §4.7, §5). The <c>control_plane</c> block and the URL's
/// <c>workflow_id</c>/<c>run_id</c> are attached to every answer by <see cref="ApiResponses"/>.
/// </summary>
public static class WorkflowEndpoints
{
    public static void MapWorkflowEndpoints(this IEndpointRouteBuilder routes)
    {
        var policy = RoutePolicy.Control(RouteGuard.Operator);

        routes.MapApi("POST", "/api/workflows", policy, async (HttpContext context, WorkflowStartService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.StartAsync(request.Namespace, request.Body, token));
        });

        routes.MapApi("GET", "/api/workflows", policy, async (HttpContext context, WorkflowQueryService service, CancellationToken token) =>
        {
            var query = context.Request.Query;
            var request = new WorkflowListRequest(Last(query, "workflow_type"), Last(query, "status"), Last(query, "query"),
                Last(query, "page_size"), Last(query, "next_page_token"));
            return ApiResults.From(await service.ListAsync(ApiRequest.Of(context).Namespace, request, token));
        });

        routes.MapApi("GET", "/api/workflows/{workflowId}", policy, async (string workflowId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
            ApiResults.From(await service.DescribeAsync(ApiRequest.Of(context).Namespace, workflowId, null, token)));

        routes.MapApi("GET", "/api/workflows/{workflowId}/runs", policy, async (string workflowId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
            ApiResults.From(await service.ListRunsAsync(ApiRequest.Of(context).Namespace, workflowId, token)));

        routes.MapApi("GET", "/api/workflows/{workflowId}/runs/{runId}", policy, async (string workflowId, string runId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
            ApiResults.From(await service.DescribeAsync(ApiRequest.Of(context).Namespace, workflowId, runId, token)));

        routes.MapApi("GET", "/api/workflows/{workflowId}/debug", policy, async (string workflowId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
            ApiResults.From(await service.DebugAsync(ApiRequest.Of(context).Namespace, workflowId, null, Last(context.Request.Query, "include_last_event_payload"), token)));

        routes.MapApi("GET", "/api/workflows/{workflowId}/runs/{runId}/debug", policy, async (string workflowId, string runId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
            ApiResults.From(await service.DebugAsync(ApiRequest.Of(context).Namespace, workflowId, runId, Last(context.Request.Query, "include_last_event_payload"), token)));

        routes.MapApi("GET", "/api/workflows/{workflowId}/runs/{runId}/history", policy, async (string workflowId, string runId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
        {
            var query = context.Request.Query;
            var request = new WorkflowHistoryRequest(Last(query, "page_size"), Last(query, "next_page_token"), Last(query, "wait_new_event"));
            return ApiResults.From(await service.HistoryAsync(ApiRequest.Of(context).Namespace, workflowId, runId, request, token));
        });

        routes.MapApi("GET", "/api/workflows/{workflowId}/runs/{runId}/history/export", policy, async (string workflowId, string runId, HttpContext context, WorkflowQueryService service, CancellationToken token) =>
            ApiResults.From(await service.ExportHistoryAsync(ApiRequest.Of(context).Namespace, workflowId, runId, token)));
    }

    /// <summary>A repeated query parameter takes its last value, as PHP's query parsing does.</summary>
    private static string? Last(IQueryCollection query, string key) => query[key].LastOrDefault();
}
