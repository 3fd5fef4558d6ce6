using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Readiness;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>Liveness, readiness and discovery (control-plane spec §2).</summary>
public static class SystemEndpoints
{
    public static void MapSystemEndpoints(this IEndpointRouteBuilder routes)
    {
        // The Functions host polls "/" until any answer arrives, and pings it for latency afterwards.
        routes.MapGet("/", () => Results.Ok());

        // Dependency-free liveness for platform probes that must not restart a node because PostgreSQL blipped.
        routes.MapApi("GET", "/api/healthz", RoutePolicy.Probe, () => ApiResults.Json(new LivenessReport("alive")));

        routes.MapApi("GET", "/api/health", RoutePolicy.Probe, async (ReadinessProbe probe, CancellationToken token) =>
        {
            var report = await probe.CheckHealthAsync(token);
            return ApiResults.Json(report, report.Serving ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        routes.MapApi("GET", "/api/ready", RoutePolicy.Probe, async (ReadinessProbe probe, CancellationToken token) =>
        {
            var report = await probe.CheckReadinessAsync(token);
            return ApiResults.Json(report, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        routes.MapApi("GET", "/api/cluster/info", RoutePolicy.Discovery, (HttpContext context, ClusterInfoBuilder builder) =>
        {
            var ns = ApiRequest.Of(context).Namespace;
            return ApiResults.Json(builder.Build(ns, WorkerFleetSummary.Empty(ns), TaskRepairSnapshot.Default));
        });
    }
}

public sealed record LivenessReport([property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status);
