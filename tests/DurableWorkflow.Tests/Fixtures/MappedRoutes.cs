using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>One API route as the server maps it: method, route pattern and the plane its pipeline applies.</summary>
public sealed record MappedRoute(string Method, string Pattern, ApiPlane Plane)
{
    public bool IsWorkerPlane => Plane == ApiPlane.WorkerPlane;

    /// <summary>The <c>{name}</c> parameters of the pattern, in order.</summary>
    public IReadOnlyList<string> Parameters { get; } =
        [.. Pattern.Split('/').Where(s => s.StartsWith('{') && s.EndsWith('}')).Select(s => s.Trim('{', '}'))];

    public override string ToString() => $"{Method} {Pattern}";
}

/// <summary>Every route and method the server maps: the one place that knows how routes are enumerated.</summary>
public static class MappedRoutes
{
    public static IReadOnlyList<MappedRoute> All() =>
    [
        .. ApiRoutes.All
            .SelectMany(route => route.Methods.Select(method => new MappedRoute(method, route.Pattern, route.Policy.Plane)))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)
            .ThenBy(r => r.Method, StringComparer.Ordinal),
    ];
}
