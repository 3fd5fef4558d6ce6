using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>The bridge webhook: one function per <see cref="ApiRoutes"/> entry, each handing the request to <see cref="ApiPipeline"/>.</summary>
public sealed class BridgeFunctions(ApiPipeline pipeline)
{
    [Function(nameof(ApiRoutes.ReceiveBridgeWebhook))]
    public Task<IResult> ReceiveBridgeWebhook([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RouteTemplates.BridgeWebhook)] HttpRequest request) =>
        pipeline.ServeAsync(request, ApiRoutes.ReceiveBridgeWebhook);
}
