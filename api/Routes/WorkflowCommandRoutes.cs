using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Workflows;
using Microsoft.AspNetCore.Routing;

namespace DurableWorkflow.Api.Routes;

/// <summary>
/// Workflow commands (control-plane spec §4.6): signal, query, update, cancel and terminate on the instance path and
/// the run path (one handler serves both), repair and archive on the instance path. <see cref="ApiResponses"/>
/// attaches the <c>control_plane</c> block and the URL ids to every answer.
/// </summary>
public static partial class ApiRoutes
{
    public static ApiRoute SignalWorkflow { get; } = new(nameof(SignalWorkflow), "POST", RouteTemplates.WorkflowSignal, OperatorControl, Signal);

    public static ApiRoute SignalWorkflowRun { get; } = new(nameof(SignalWorkflowRun), "POST", RouteTemplates.WorkflowRunSignal, OperatorControl, Signal);

    public static ApiRoute QueryWorkflow { get; } = new(nameof(QueryWorkflow), "POST", RouteTemplates.WorkflowQuery, OperatorControl, Query);

    public static ApiRoute QueryWorkflowRun { get; } = new(nameof(QueryWorkflowRun), "POST", RouteTemplates.WorkflowRunQuery, OperatorControl, Query);

    public static ApiRoute UpdateWorkflow { get; } = new(nameof(UpdateWorkflow), "POST", RouteTemplates.WorkflowUpdate, OperatorControl, Update);

    public static ApiRoute UpdateWorkflowRun { get; } = new(nameof(UpdateWorkflowRun), "POST", RouteTemplates.WorkflowRunUpdate, OperatorControl, Update);

    public static ApiRoute CancelWorkflow { get; } = new(nameof(CancelWorkflow), "POST", RouteTemplates.WorkflowCancel, OperatorControl, Cancel);

    public static ApiRoute CancelWorkflowRun { get; } = new(nameof(CancelWorkflowRun), "POST", RouteTemplates.WorkflowRunCancel, OperatorControl, Cancel);

    public static ApiRoute TerminateWorkflow { get; } = new(nameof(TerminateWorkflow), "POST", RouteTemplates.WorkflowTerminate, OperatorControl, Terminate);

    public static ApiRoute TerminateWorkflowRun { get; } = new(nameof(TerminateWorkflowRun), "POST", RouteTemplates.WorkflowRunTerminate, OperatorControl, Terminate);

    public static ApiRoute RepairWorkflow { get; } = new(nameof(RepairWorkflow), "POST", RouteTemplates.WorkflowRepair, OperatorControl,
        async (string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.RepairAsync(request.Namespace, workflowId, request.Body, token));
        });

    public static ApiRoute ArchiveWorkflow { get; } = new(nameof(ArchiveWorkflow), "POST", RouteTemplates.WorkflowArchive, OperatorControl,
        async (string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.ArchiveAsync(request.Namespace, workflowId, request.Body, token));
        });

    private static async Task<IResult> Signal(string workflowId, string signalName, HttpContext context, WorkflowCommandService service, CancellationToken token)
    {
        var request = ApiRequest.Of(context);
        return ApiResults.From(await service.SignalAsync(request.Namespace, Target(context, workflowId), signalName, request.Body, token));
    }

    private static async Task<IResult> Query(string workflowId, string queryName, HttpContext context, WorkflowCommandService service, CancellationToken token)
    {
        var request = ApiRequest.Of(context);
        return ApiResults.From(await service.QueryAsync(request.Namespace, Target(context, workflowId), queryName, request.Body, token));
    }

    private static async Task<IResult> Update(string workflowId, string updateName, HttpContext context, WorkflowCommandService service, CancellationToken token)
    {
        var request = ApiRequest.Of(context);
        return ApiResults.From(await service.UpdateAsync(request.Namespace, Target(context, workflowId), updateName, request.Body, token));
    }

    private static async Task<IResult> Cancel(string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token)
    {
        var request = ApiRequest.Of(context);
        return ApiResults.From(await service.CancelAsync(request.Namespace, Target(context, workflowId), request.Body, token));
    }

    private static async Task<IResult> Terminate(string workflowId, HttpContext context, WorkflowCommandService service, CancellationToken token)
    {
        var request = ApiRequest.Of(context);
        return ApiResults.From(await service.TerminateAsync(request.Namespace, Target(context, workflowId), request.Body, token));
    }

    /// <summary>The run path names its run; the instance path addresses whichever run is current.</summary>
    private static CommandTarget Target(HttpContext context, string workflowId) =>
        new(workflowId, context.GetRouteValue("runId") as string);
}
