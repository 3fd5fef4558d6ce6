using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Scheduling.Schedules;

namespace DurableWorkflow.Api.Routes;

/// <summary>Schedules (control-plane spec §9); the rules live in <see cref="ScheduleService"/>.</summary>
public static partial class ApiRoutes
{
    public static ApiRoute ListSchedules { get; } = new(nameof(ListSchedules), "GET", RouteTemplates.Schedules, OperatorControl,
        async (HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var q = context.Request.Query;
            var query = new ScheduleListQuery(q["status"].FirstOrDefault(), q["workflow_type"].FirstOrDefault(), q["query"].FirstOrDefault(),
                q["page_size"].FirstOrDefault(), q["next_page_token"].FirstOrDefault());
            return ApiResults.From(await service.ListAsync(ApiRequest.Of(context).Namespace, query, token));
        });

    public static ApiRoute CreateSchedule { get; } = new(nameof(CreateSchedule), "POST", RouteTemplates.Schedules, OperatorControl,
        async (HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.CreateAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute DescribeSchedule { get; } = new(nameof(DescribeSchedule), "GET", RouteTemplates.Schedule, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
            ApiResults.From(await service.DescribeAsync(ApiRequest.Of(context).Namespace, scheduleId, token)));

    public static ApiRoute UpdateSchedule { get; } = new(nameof(UpdateSchedule), "PUT", RouteTemplates.Schedule, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.UpdateAsync(request.Namespace, scheduleId, request.Body, token));
        });

    public static ApiRoute DeleteSchedule { get; } = new(nameof(DeleteSchedule), "DELETE", RouteTemplates.Schedule, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
            ApiResults.From(await service.DeleteAsync(ApiRequest.Of(context).Namespace, scheduleId, token)));

    public static ApiRoute PauseSchedule { get; } = new(nameof(PauseSchedule), "POST", RouteTemplates.SchedulePause, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.PauseAsync(request.Namespace, scheduleId, request.Body, token));
        });

    public static ApiRoute ResumeSchedule { get; } = new(nameof(ResumeSchedule), "POST", RouteTemplates.ScheduleResume, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.ResumeAsync(request.Namespace, scheduleId, request.Body, token));
        });

    public static ApiRoute TriggerSchedule { get; } = new(nameof(TriggerSchedule), "POST", RouteTemplates.ScheduleTrigger, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.TriggerAsync(request.Namespace, scheduleId, request.Body, token));
        });

    public static ApiRoute BackfillSchedule { get; } = new(nameof(BackfillSchedule), "POST", RouteTemplates.ScheduleBackfill, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.BackfillAsync(request.Namespace, scheduleId, request.Body, token));
        });

    public static ApiRoute GetScheduleHistory { get; } = new(nameof(GetScheduleHistory), "GET", RouteTemplates.ScheduleHistory, OperatorControl,
        async (string scheduleId, HttpContext context, ScheduleService service, CancellationToken token) =>
            ApiResults.From(await service.HistoryAsync(ApiRequest.Of(context).Namespace, scheduleId,
                context.Request.Query["limit"].FirstOrDefault(), context.Request.Query["after_sequence"].FirstOrDefault(), token)));
}
