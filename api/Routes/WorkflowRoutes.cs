using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Workflows;

namespace DurableWorkflow.Api.Routes;

/// <summary>
/// Workflow start and reads (control-plane spec §4.1–§4.5, §4.7, §5). The <c>control_plane</c> block and the URL's
/// <c>workflow_id</c>/<c>run_id</c> are attached to every answer by <see cref="ApiResponses"/>.
/// </summary>
public static partial class ApiRoutes
{
    public static ApiRoute StartWorkflow { get; } = new(nameof(StartWorkflow), "POST", RouteTemplates.Workflows, OperatorControl,
        async (HttpContext context, WorkflowStartService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.StartAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute ListWorkflows { get; } = new(nameof(ListWorkflows), "GET", RouteTemplates.Workflows, OperatorControl,
        async (HttpContext context, WorkflowReadService service, CancellationToken token) =>
        {
            var query = context.Request.Query;
            var request = new WorkflowListRequest(Last(query, "workflow_type"), Last(query, "status"), Last(query, "query"),
                Last(query, "page_size"), Last(query, "next_page_token"));
            return ApiResults.From(await service.ListAsync(ApiRequest.Of(context).Namespace, request, token));
        });

    public static ApiRoute DescribeWorkflow { get; } = new(nameof(DescribeWorkflow), "GET", RouteTemplates.Workflow, OperatorControl,
        async (string workflowId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
            ApiResults.From(await service.DescribeAsync(ApiRequest.Of(context).Namespace, workflowId, null, token)));

    public static ApiRoute ListWorkflowRuns { get; } = new(nameof(ListWorkflowRuns), "GET", RouteTemplates.WorkflowRuns, OperatorControl,
        async (string workflowId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
            ApiResults.From(await service.ListRunsAsync(ApiRequest.Of(context).Namespace, workflowId, token)));

    public static ApiRoute DescribeWorkflowRun { get; } = new(nameof(DescribeWorkflowRun), "GET", RouteTemplates.WorkflowRun, OperatorControl,
        async (string workflowId, string runId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
            ApiResults.From(await service.DescribeAsync(ApiRequest.Of(context).Namespace, workflowId, runId, token)));

    public static ApiRoute DebugWorkflow { get; } = new(nameof(DebugWorkflow), "GET", RouteTemplates.WorkflowDebug, OperatorControl,
        async (string workflowId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
            ApiResults.From(await service.DebugAsync(ApiRequest.Of(context).Namespace, workflowId, null, Last(context.Request.Query, "include_last_event_payload"), token)));

    public static ApiRoute DebugWorkflowRun { get; } = new(nameof(DebugWorkflowRun), "GET", RouteTemplates.WorkflowRunDebug, OperatorControl,
        async (string workflowId, string runId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
            ApiResults.From(await service.DebugAsync(ApiRequest.Of(context).Namespace, workflowId, runId, Last(context.Request.Query, "include_last_event_payload"), token)));

    public static ApiRoute GetWorkflowRunHistory { get; } = new(nameof(GetWorkflowRunHistory), "GET", RouteTemplates.WorkflowRunHistory, OperatorControl,
        async (string workflowId, string runId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
        {
            var query = context.Request.Query;
            var request = new WorkflowHistoryRequest(Last(query, "page_size"), Last(query, "next_page_token"), Last(query, "wait_new_event"));
            return ApiResults.From(await service.HistoryAsync(ApiRequest.Of(context).Namespace, workflowId, runId, request, token));
        });

    public static ApiRoute ExportWorkflowRunHistory { get; } = new(nameof(ExportWorkflowRunHistory), "GET", RouteTemplates.WorkflowRunHistoryExport, OperatorControl,
        async (string workflowId, string runId, HttpContext context, WorkflowReadService service, CancellationToken token) =>
            ApiResults.From(await service.ExportHistoryAsync(ApiRequest.Of(context).Namespace, workflowId, runId, token)));

    /// <summary>A repeated query parameter takes its last value, as PHP's query parsing does.</summary>
    private static string? Last(IQueryCollection query, string key) => query[key].LastOrDefault();
}
