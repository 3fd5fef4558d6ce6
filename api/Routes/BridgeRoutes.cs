using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Bridge;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Routes;

/// <summary>The bridge webhook (control-plane spec §11.2): every answer, rejections included, is the outcome document.</summary>
public static partial class ApiRoutes
{
    public static ApiRoute ReceiveBridgeWebhook { get; } = new(nameof(ReceiveBridgeWebhook), "POST", RouteTemplates.BridgeWebhook,
        RoutePolicy.Control(RouteGuard.Operator),
        async (string adapter, HttpContext context, BridgeWebhookService service, CancellationToken token) =>
        {
            var request = ApiRequest.Of(context);
            var signature = context.Request.Headers[BridgeWebhookService.SignatureHeader].ToString();
            var outcome = await service.HandleAsync(request.Namespace, adapter, request.Body,
                signature.Length == 0 ? null : signature, token);
            return ApiResults.Json(outcome.Document, outcome.HttpStatus);
        });
}
