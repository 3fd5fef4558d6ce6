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
}
