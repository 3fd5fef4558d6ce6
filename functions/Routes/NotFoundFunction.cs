using DurableWorkflow.Api.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DurableWorkflow.Functions.Routes;

/// <summary>
/// Every path and method no route function takes. The host orders routes by precedence, so this catch-all only gets
/// what nothing more specific matched, including a known path with a method it does not serve (the pipeline answers 405).
/// </summary>
public sealed class NotFoundFunction(ApiPipeline pipeline)
{
    public const string Name = "NotFound";

    [Function(Name)]
    public Task<IResult> NotFound([HttpTrigger(AuthorizationLevel.Anonymous, Route = "{*path}")] HttpRequest request) =>
        pipeline.NotFoundAsync(request);
}
