using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Schedules: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class ScheduleFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.ListSchedules))]
    public Task<IResult> ListSchedules([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Schedules)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListSchedules);

    [Function(nameof(ApiRoutes.CreateSchedule))]
    public Task<IResult> CreateSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.Schedules)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CreateSchedule);

    [Function(nameof(ApiRoutes.DescribeSchedule))]
    public Task<IResult> DescribeSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Schedule)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DescribeSchedule);

    [Function(nameof(ApiRoutes.UpdateSchedule))]
    public Task<IResult> UpdateSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = RouteTemplates.Schedule)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.UpdateSchedule);

    [Function(nameof(ApiRoutes.DeleteSchedule))]
    public Task<IResult> DeleteSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = RouteTemplates.Schedule)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DeleteSchedule);

    [Function(nameof(ApiRoutes.PauseSchedule))]
    public Task<IResult> PauseSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.SchedulePause)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.PauseSchedule);

    [Function(nameof(ApiRoutes.ResumeSchedule))]
    public Task<IResult> ResumeSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ScheduleResume)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ResumeSchedule);

    [Function(nameof(ApiRoutes.TriggerSchedule))]
    public Task<IResult> TriggerSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ScheduleTrigger)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.TriggerSchedule);

    [Function(nameof(ApiRoutes.BackfillSchedule))]
    public Task<IResult> BackfillSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.ScheduleBackfill)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.BackfillSchedule);

    [Function(nameof(ApiRoutes.GetScheduleHistory))]
    public Task<IResult> GetScheduleHistory([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.ScheduleHistory)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.GetScheduleHistory);
}
