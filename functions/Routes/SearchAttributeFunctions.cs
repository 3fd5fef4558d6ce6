using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>Search-attribute definitions: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class SearchAttributeFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.ListSearchAttributes))]
    public Task<IResult> ListSearchAttributes([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RouteTemplates.SearchAttributes)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ListSearchAttributes);

    [Function(nameof(ApiRoutes.CreateSearchAttribute))]
    public Task<IResult> CreateSearchAttribute([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.SearchAttributes)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.CreateSearchAttribute);

    [Function(nameof(ApiRoutes.DeleteSearchAttribute))]
    public Task<IResult> DeleteSearchAttribute([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = RouteTemplates.SearchAttribute)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.DeleteSearchAttribute);
}
