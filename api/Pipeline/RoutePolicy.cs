using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

public enum ApiPlane
{
    /// <summary>Health and readiness: no auth, no version header, no control-plane header on the answer.</summary>
    Probe,

    /// <summary><c>/api/cluster/info</c>: authenticated, but version-free so any client can discover versions.</summary>
    Discovery,

    ControlPlane,

    WorkerPlane,
}

/// <summary>What the request pipeline enforces for a route (control-plane spec §1.5 and §1.8).</summary>
public sealed record RoutePolicy(ApiPlane Plane, RouteGuard Guard, bool NamespaceMustExist)
{
    public static RoutePolicy Probe { get; } = new(ApiPlane.Probe, RouteGuard.Public, NamespaceMustExist: false);

    public static RoutePolicy Discovery { get; } = new(ApiPlane.Discovery, RouteGuard.Any, NamespaceMustExist: false);

    public static RoutePolicy Worker { get; } = new(ApiPlane.WorkerPlane, RouteGuard.Worker, NamespaceMustExist: true);

    public static RoutePolicy Control(RouteGuard guard, bool namespaceMustExist = true) =>
        new(ApiPlane.ControlPlane, guard, namespaceMustExist);
}
