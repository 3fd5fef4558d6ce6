using System.Text.Json.Serialization;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Readiness;

namespace DurableWorkflow.Api.Routes;

/// <summary>Liveness, readiness and discovery (control-plane spec §2).</summary>
public static partial class ApiRoutes
{
    /// <summary>Dependency-free liveness for platform probes that must not restart a node because PostgreSQL blipped.</summary>
    public static ApiRoute Liveness { get; } = new(nameof(Liveness), "GET", RouteTemplates.Liveness, RoutePolicy.Probe,
        () => ApiResults.Json(new LivenessReport("alive")))
    { AlsoHead = true };

    public static ApiRoute Health { get; } = new(nameof(Health), "GET", RouteTemplates.Health, RoutePolicy.Probe,
        async (ReadinessProbe probe, CancellationToken token) =>
        {
            var report = await probe.CheckHealthAsync(token);
            return ApiResults.Json(report, report.Serving ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        })
    { AlsoHead = true };

    public static ApiRoute Readiness { get; } = new(nameof(Readiness), "GET", RouteTemplates.Readiness, RoutePolicy.Probe,
        async (ReadinessProbe probe, CancellationToken token) =>
        {
            var report = await probe.CheckReadinessAsync(token);
            return ApiResults.Json(report, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        })
    { AlsoHead = true };

    public static ApiRoute ClusterInfo { get; } = new(nameof(ClusterInfo), "GET", RouteTemplates.ClusterInfo, RoutePolicy.Discovery,
        async (HttpContext context, ClusterInfoBuilder builder, FleetSnapshotReader fleet, CancellationToken token) =>
        {
            var ns = ApiRequest.Of(context).Namespace;
            return ApiResults.Json(builder.Build(ns, await fleet.ReadFleetAsync(ns, token), await fleet.ReadRepairAsync(token)));
        });
}

public sealed record LivenessReport([property: JsonPropertyName("status")] string Status);
