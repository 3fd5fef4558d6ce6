using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Scheduling.Passes;

namespace DurableWorkflow.Api.Routes;

/// <summary>The scheduler passes' admin routes (control-plane spec §10.3–10.5).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute GetActivityTimeoutStatus { get; } = new(nameof(GetActivityTimeoutStatus), "GET", RouteTemplates.SystemActivityTimeouts, AdminControl,
        async (HttpContext context, ActivityTimeoutPass pass, CancellationToken token) =>
            ApiResults.Json(await pass.StatusAsync(context.Request.Query["limit"].FirstOrDefault(), token)));

    public static ApiRoute RunActivityTimeoutPass { get; } = new(nameof(RunActivityTimeoutPass), "POST", RouteTemplates.SystemActivityTimeoutPass, AdminControl,
        async (HttpContext context, ActivityTimeoutPass pass, CancellationToken token) =>
            ApiResults.From(await pass.PassAsync(ApiRequest.Of(context).Body, token)));

    public static ApiRoute GetRepairStatus { get; } = new(nameof(GetRepairStatus), "GET", RouteTemplates.SystemRepair, AdminControl,
        async (TaskRepairPass pass, CancellationToken token) => ApiResults.Json(await pass.StatusAsync(token)));

    public static ApiRoute RunRepairPass { get; } = new(nameof(RunRepairPass), "POST", RouteTemplates.SystemRepairPass, AdminControl,
        async (HttpContext context, TaskRepairPass pass, CancellationToken token) =>
            ApiResults.From(await pass.PassAsync(ApiRequest.Of(context).Body, token)));

    public static ApiRoute GetRetentionStatus { get; } = new(nameof(GetRetentionStatus), "GET", RouteTemplates.SystemRetention, AdminControl,
        async (HttpContext context, HistoryRetentionPass pass, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await pass.StatusAsync(request.Namespace, context.Request.Query["limit"].FirstOrDefault(), token));
        });

    public static ApiRoute RunRetentionPass { get; } = new(nameof(RunRetentionPass), "POST", RouteTemplates.SystemRetentionPass, AdminControl,
        async (HttpContext context, HistoryRetentionPass pass, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await pass.PassAsync(request.Namespace, request.Body, token));
        });
}
