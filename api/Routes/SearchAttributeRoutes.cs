using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.SearchAttributes;

namespace DurableWorkflow.Api.Routes;

/// <summary>Search-attribute definitions of the request namespace (control plane §6).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute ListSearchAttributes { get; } = new(nameof(ListSearchAttributes), "GET", RouteTemplates.SearchAttributes, OperatorControl,
        async (HttpContext context, SearchAttributeService service, CancellationToken token) =>
            ApiResults.Json(await service.ListAsync(ApiRequest.Of(context).Namespace, token)));

    public static ApiRoute CreateSearchAttribute { get; } = new(nameof(CreateSearchAttribute), "POST", RouteTemplates.SearchAttributes, OperatorControl,
        async (HttpContext context, SearchAttributeService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.CreateAsync(request.Namespace, request.Body, token));
        });

    public static ApiRoute DeleteSearchAttribute { get; } = new(nameof(DeleteSearchAttribute), "DELETE", RouteTemplates.SearchAttribute, OperatorControl,
        async (string name, HttpContext context, SearchAttributeService service, CancellationToken token) =>
            ApiResults.From(await service.DeleteAsync(ApiRequest.Of(context).Namespace, name, token)));
}
