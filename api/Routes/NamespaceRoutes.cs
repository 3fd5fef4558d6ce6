using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Namespaces;

namespace DurableWorkflow.Api.Routes;

/// <summary>The namespaces API (control-plane spec §3). These routes handle their own not-found answers.</summary>
public static partial class ApiRoutes
{
    public static ApiRoute ListNamespaces { get; } = new(nameof(ListNamespaces), "GET", RouteTemplates.Namespaces, NamespaceRead,
        async (NamespaceService service, CancellationToken token) =>
            ApiResults.Json(await service.ListAsync(token)));

    public static ApiRoute CreateNamespace { get; } = new(nameof(CreateNamespace), "POST", RouteTemplates.Namespaces, NamespaceWrite,
        async (HttpContext context, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.CreateAsync(ApiRequest.Of(context).Body, token)));

    public static ApiRoute DescribeNamespace { get; } = new(nameof(DescribeNamespace), "GET", RouteTemplates.Namespace, NamespaceRead,
        async (string @namespace, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.ShowAsync(@namespace, token)));

    public static ApiRoute UpdateNamespace { get; } = new(nameof(UpdateNamespace), "PUT", RouteTemplates.Namespace, NamespaceWrite,
        async (string @namespace, HttpContext context, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.UpdateAsync(@namespace, ApiRequest.Of(context).Body, token)));

    public static ApiRoute SetNamespaceExternalStorage { get; } = new(nameof(SetNamespaceExternalStorage), "PUT", RouteTemplates.NamespaceExternalStorage, NamespaceWrite,
        async (string @namespace, HttpContext context, NamespaceService service, CancellationToken token) =>
            ApiResults.From(await service.SetExternalStorageAsync(@namespace, ApiRequest.Of(context).Body, token)));

    // Properties, not fields: the parts of this class initialise in no guaranteed order.
    private static RoutePolicy NamespaceRead => RoutePolicy.Control(RouteGuard.Operator, namespaceMustExist: false);

    private static RoutePolicy NamespaceWrite => RoutePolicy.Control(RouteGuard.Admin, namespaceMustExist: false);
}
