using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>External payload storage diagnostics: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class StorageFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.TestStorage))]
    public Task<IResult> TestStorage([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.StorageTest)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.TestStorage);
}
