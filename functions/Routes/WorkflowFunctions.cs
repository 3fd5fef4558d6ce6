using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Starting, listing and describing workflows and their runs: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class WorkflowFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.StartWorkflow))]
    public Task<IResult> StartWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.Workflows)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.StartWorkflow);

    [Function(nameof(ApiRoutes.ListWorkflows))]
    public Task<IResult> ListWorkflows([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Workflows)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListWorkflows);

    [Function(nameof(ApiRoutes.DescribeWorkflow))]
    public Task<IResult> DescribeWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Workflow)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DescribeWorkflow);

    [Function(nameof(ApiRoutes.ListWorkflowRuns))]
    public Task<IResult> ListWorkflowRuns([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.WorkflowRuns)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListWorkflowRuns);

    [Function(nameof(ApiRoutes.DescribeWorkflowRun))]
    public Task<IResult> DescribeWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.WorkflowRun)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DescribeWorkflowRun);

    [Function(nameof(ApiRoutes.DebugWorkflow))]
    public Task<IResult> DebugWorkflow([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.WorkflowDebug)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DebugWorkflow);

    [Function(nameof(ApiRoutes.DebugWorkflowRun))]
    public Task<IResult> DebugWorkflowRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.WorkflowRunDebug)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DebugWorkflowRun);

    [Function(nameof(ApiRoutes.GetWorkflowRunHistory))]
    public Task<IResult> GetWorkflowRunHistory([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.WorkflowRunHistory)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.GetWorkflowRunHistory);

    [Function(nameof(ApiRoutes.ExportWorkflowRunHistory))]
    public Task<IResult> ExportWorkflowRunHistory([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.WorkflowRunHistoryExport)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ExportWorkflowRunHistory);
}
