using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads.Storage;

namespace DurableWorkflow.Api.Routes;

/// <summary>External payload storage diagnostics (control-plane spec §11.1).</summary>
public static partial class ApiRoutes
{
    public static ApiRoute TestStorage { get; } = new(nameof(TestStorage), "POST", RouteTemplates.StorageTest, RoutePolicy.Control(RouteGuard.Admin),
        async (HttpContext context, StorageTestService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            return ApiResults.From(await service.TestAsync(request.Namespace, request.Body, token));
        });
}
