using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Namespaces: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class NamespaceFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.ListNamespaces))]
    public Task<IResult> ListNamespaces([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Namespaces)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListNamespaces);

    [Function(nameof(ApiRoutes.CreateNamespace))]
    public Task<IResult> CreateNamespace([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.Namespaces)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CreateNamespace);

    [Function(nameof(ApiRoutes.DescribeNamespace))]
    public Task<IResult> DescribeNamespace([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.Namespace)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DescribeNamespace);

    [Function(nameof(ApiRoutes.UpdateNamespace))]
    public Task<IResult> UpdateNamespace([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = RouteTemplates.Namespace)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.UpdateNamespace);

    [Function(nameof(ApiRoutes.SetNamespaceExternalStorage))]
    public Task<IResult> SetNamespaceExternalStorage([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = RouteTemplates.NamespaceExternalStorage)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.SetNamespaceExternalStorage);
}
