using System.Text.Json.Nodes;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Operations;

namespace DurableWorkflow.Api.Routes;

/// <summary>Admin operator surfaces (control-plane §10.1–10.2, rollout contract §4.5 and §12).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute SystemMetrics { get; } = new(nameof(SystemMetrics), "GET", RouteTemplates.SystemMetrics, SystemAdmin,
        async (HttpContext context, ServerMetricsReader reader, CancellationToken token) =>
            ApiResults.Json(await reader.ReadAsync(ApiRequest.Of(context).Namespace, token)));

    public static ApiRoute SystemOperatorMetrics { get; } = new(nameof(SystemOperatorMetrics), "GET", RouteTemplates.SystemOperatorMetrics, SystemAdmin,
        async (HttpContext context, OperatorMetricsReader reader, CancellationToken token) =>
        {
            var ns = ApiRequest.Of(context).Namespace;
            return ApiResults.Json(new JsonObject { ["namespace"] = ns, ["operator_metrics"] = await reader.ReadAsync(ns, token) });
        });

    /// <summary>503 exactly when a check is at <c>error</c> (rollout contract §4.5).</summary>
    public static ApiRoute SystemHealth { get; } = new(nameof(SystemHealth), "GET", RouteTemplates.SystemHealth, SystemAdmin,
        async (HttpContext context, OperatorMetricsReader metrics, RoutingDrainsReader drains, ServerSettings settings, CancellationToken token) =>
        {
            var ns = ApiRequest.Of(context).Namespace;
            var health = OperatorHealth.Evaluate(await metrics.ReadAsync(ns, token), settings.Compatibility.FleetValidationMode);
            var body = new JsonObject { ["namespace"] = ns };
            foreach (var (key, value) in health.ToList())
            {
                health.Remove(key);
                body[key] = value;
            }

            body["routing_drains"] = await drains.ReadAsync(ns, token);
            return ApiResults.Json(body, (string?)body["status"] == "error"
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status200OK);
        });

    private static RoutePolicy SystemAdmin => RoutePolicy.Control(RouteGuard.Admin);
}
