using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Namespaces;
using DurableWorkflow.Functions.Pipeline;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>The namespaces API (control-plane spec §3). These routes handle their own not-found answers.</summary>
public static class NamespaceEndpoints
{
    public static void MapNamespaceEndpoints(this IEndpointRouteBuilder routes)
    {
        var read = RoutePolicy.Control(RouteGuard.Operator, namespaceMustExist: false);
        var write = RoutePolicy.Control(RouteGuard.Admin, namespaceMustExist: false);

        routes.MapApi("GET", "/api/namespaces", read, async (NamespaceService service, CancellationToken token) =>
            ApiResults.Json(await service.ListAsync(token)));

        routes.MapApi("POST", "/api/namespaces", write, async (HttpContext context, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.CreateAsync(ApiRequest.Of(context).Body, token)));

        routes.MapApi("GET", "/api/namespaces/{namespace}", read, async (string @namespace, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.ShowAsync(@namespace, token)));

        routes.MapApi("PUT", "/api/namespaces/{namespace}", write, async (string @namespace, HttpContext context, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.UpdateAsync(@namespace, ApiRequest.Of(context).Body, token)));

        routes.MapApi("PUT", "/api/namespaces/{namespace}/external-storage", write, async (string @namespace, HttpContext context, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.SetExternalStorageAsync(@namespace, ApiRequest.Of(context).Body, token)));
    }
}
