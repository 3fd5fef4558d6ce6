using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Signals, queries, updates, cancellation, termination, repair and archive: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class WorkflowCommandFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.SignalWorkflow))]
    public Task<IResult> SignalWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowSignal)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.SignalWorkflow);

    [Function(nameof(ApiRoutes.SignalWorkflowRun))]
    public Task<IResult> SignalWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowRunSignal)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.SignalWorkflowRun);

    [Function(nameof(ApiRoutes.QueryWorkflow))]
    public Task<IResult> QueryWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowQuery)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.QueryWorkflow);

    [Function(nameof(ApiRoutes.QueryWorkflowRun))]
    public Task<IResult> QueryWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowRunQuery)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.QueryWorkflowRun);

    [Function(nameof(ApiRoutes.UpdateWorkflow))]
    public Task<IResult> UpdateWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowUpdate)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.UpdateWorkflow);

    [Function(nameof(ApiRoutes.UpdateWorkflowRun))]
    public Task<IResult> UpdateWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowRunUpdate)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.UpdateWorkflowRun);

    [Function(nameof(ApiRoutes.CancelWorkflow))]
    public Task<IResult> CancelWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowCancel)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CancelWorkflow);

    [Function(nameof(ApiRoutes.CancelWorkflowRun))]
    public Task<IResult> CancelWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowRunCancel)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CancelWorkflowRun);

    [Function(nameof(ApiRoutes.TerminateWorkflow))]
    public Task<IResult> TerminateWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowTerminate)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.TerminateWorkflow);

    [Function(nameof(ApiRoutes.TerminateWorkflowRun))]
    public Task<IResult> TerminateWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowRunTerminate)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.TerminateWorkflowRun);

    [Function(nameof(ApiRoutes.RepairWorkflow))]
    public Task<IResult> RepairWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowRepair)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.RepairWorkflow);

    [Function(nameof(ApiRoutes.ArchiveWorkflow))]
    public Task<IResult> ArchiveWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.WorkflowArchive)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ArchiveWorkflow);
}
