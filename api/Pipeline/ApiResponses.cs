using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>Writes answers in the envelope of the route's plane (control-plane spec §1.9, worker-protocol spec §1.7).</summary>
public sealed class ApiResponses(VersionGate versions, WorkerEnvelope workerEnvelope)
{
    public Task WriteErrorAsync(HttpContext context, ApiError error, ApiPlane plane)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        var body = error.ToJson();
        Decorate(context, body, plane);
        return WriteAsync(context, body, error.Status);
    }

    public Task WriteJsonAsync<T>(HttpContext context, T value, int status, ApiPlane plane)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = JsonSerializer.SerializeToNode(value, ApiJson.Options);
        if (body is JsonObject obj)
        {
            Decorate(context, obj, plane);
        }

        return WriteAsync(context, body, status);
    }

    private void Decorate(HttpContext context, JsonObject body, ApiPlane plane)
    {
        switch (plane)
        {
            case ApiPlane.ControlPlane:
                context.Response.Headers[HeaderNames.ControlPlaneVersion] = ApiErrors.ControlPlaneVersion;
                if (ControlPlaneContract.Match(context.Request.Method, context.Request.Path.Value ?? string.Empty) is { } match)
                {
                    ControlPlaneContract.Attach(body, match);
                }

                break;
            case ApiPlane.WorkerPlane:
                context.Response.Headers[HeaderNames.WorkerProtocolVersion] = versions.AdvertisedWorkerProtocol;
                // Worker SDKs read business errors from "error" and middleware errors from "message"; give both.
                if (body.ContainsKey("reason") && !body.ContainsKey("error") && body["message"] is { } message)
                {
                    body["error"] = message.DeepClone();
                }

                workerEnvelope.Apply(body);
                break;
            case ApiPlane.Discovery:
                // Errors of the discovery route use the control-plane envelope; its success body carries no version header.
                if (body.ContainsKey("reason"))
                {
                    context.Response.Headers[HeaderNames.ControlPlaneVersion] = ApiErrors.ControlPlaneVersion;
                }

                break;
            case ApiPlane.Probe:
                break;
        }
    }

    private static async Task WriteAsync(HttpContext context, JsonNode? body, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body?.ToJsonString(ApiJson.Options) ?? "null", context.RequestAborted);
    }
}
