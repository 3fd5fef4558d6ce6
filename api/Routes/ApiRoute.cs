using DurableWorkflow.Api.Pipeline;

namespace DurableWorkflow.Api.Routes;

/// <summary>
/// One route and method of the API: the stable function name a Functions host registers it under, the template below
/// <c>/api/</c>, the policy <see cref="ApiPipeline"/> enforces, and the handler it runs through
/// <c>RequestDelegateFactory</c>.
/// </summary>
public sealed record ApiRoute(string Name, string Method, string Template, RoutePolicy Policy, Delegate Handler)
{
    /// <summary>Probe routes also answer HEAD, which platform health checks send.</summary>
    public bool AlsoHead { get; init; }

    /// <summary>Every HTTP method a host maps for this route.</summary>
    public IReadOnlyList<string> Methods => AlsoHead ? [Method, HttpMethods.Head] : [Method];

    /// <summary>The path pattern as the standalone server maps it.</summary>
    public string Pattern => $"/{RouteTemplates.Prefix}/{Template}";
}
