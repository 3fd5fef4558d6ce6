using System.Buffers;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Namespaces;

namespace DurableWorkflow.Functions.Pipeline;

/// <summary>
/// Runs the spec's checks in order for every matched <c>/api</c> route — payload gate, authentication, role, protocol
/// version, namespace — so that the first failure wins and later checks never leak information.
/// </summary>
public sealed class ApiPipelineMiddleware(
    RequestDelegate next,
    ServerSettings settings,
    TokenAuthenticator authenticator,
    VersionGate versions,
    ApiResponses responses)
{
    public async Task InvokeAsync(HttpContext context, NamespaceRepository namespaces)
    {
        ArgumentNullException.ThrowIfNull(context);
        var policy = context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicy>();
        if (policy is null)
        {
            await next(context);
            return;
        }

        var request = ApiRequest.Of(context);
        var payloadError = await ReadPayloadAsync(context, request);
        if (payloadError is not null)
        {
            await responses.WriteErrorAsync(context, payloadError, policy.Plane);
            return;
        }

        if (!policy.Guard.IsPublic)
        {
            var error = await AdmitAsync(context, request, policy, namespaces);
            if (error is not null)
            {
                await responses.WriteErrorAsync(context, error, policy.Plane);
                return;
            }
        }

        if (policy.Plane == ApiPlane.ControlPlane)
        {
            context.Response.Headers[HeaderNames.ControlPlaneVersion] = ApiErrors.ControlPlaneVersion;
        }
        else if (policy.Plane == ApiPlane.WorkerPlane)
        {
            context.Response.Headers[HeaderNames.WorkerProtocolVersion] = versions.AdvertisedWorkerProtocol;
        }

        await next(context);
    }

    private async Task<ApiError?> AdmitAsync(HttpContext context, ApiRequest request, RoutePolicy policy, NamespaceRepository namespaces)
    {
        var authentication = authenticator.Authenticate(context.Request.Headers.Authorization);
        if (authentication.Error is not null)
        {
            return authentication.Error;
        }

        var principal = authentication.Principal!;
        request.Principal = principal;
        if (!principal.Satisfies(policy.Guard))
        {
            return ApiErrors.Forbidden(principal, policy.Guard);
        }

        var versionError = policy.Plane switch
        {
            ApiPlane.ControlPlane => VersionGate.CheckControlPlane(context.Request.Headers[HeaderNames.ControlPlaneVersion]),
            ApiPlane.WorkerPlane => versions.CheckWorkerProtocol(context.Request.Headers[HeaderNames.WorkerProtocolVersion]),
            _ => null,
        };
        if (versionError is not null)
        {
            return versionError;
        }

        var headers = context.Request.Headers;
        request.Namespace = NamespaceSelector.Select(
            headers[HeaderNames.Namespace],
            headers.ContainsKey(HeaderNames.Namespace),
            context.Request.Query["namespace"],
            settings.DefaultNamespace);

        if (policy.NamespaceMustExist && !await namespaces.ExistsAsync(request.Namespace, context.RequestAborted))
        {
            return ApiErrors.NamespaceNotFound(request.Namespace);
        }

        return null;
    }

    /// <summary>Reads at most one byte past the limit, so an oversized body is refused without buffering all of it.</summary>
    private async Task<ApiError?> ReadPayloadAsync(HttpContext context, ApiRequest request)
    {
        var limit = settings.MaxPayloadBytes;
        var declared = PayloadGate.CheckDeclaredLength(context.Request.ContentLength, limit);
        if (declared is not null)
        {
            return declared;
        }

        var buffer = new ArrayBufferWriter<byte>();
        var stream = context.Request.Body;
        while (buffer.WrittenCount <= limit)
        {
            var memory = buffer.GetMemory(8192);
            var read = await stream.ReadAsync(memory, context.RequestAborted);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
        }

        var check = PayloadGate.CheckBody(context.Request.Method, context.Request.ContentType, buffer.WrittenMemory, limit);
        request.Body = check.Body;
        return check.Error;
    }
}

/// <summary>Unknown routes and wrong methods: the documented envelope only when the caller speaks a protocol version.</summary>
public sealed class FrameworkErrorMiddleware(RequestDelegate next, VersionGate versions, ApiResponses responses)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var matched = context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicy>() is not null;
        await next(context);
        if (matched || context.Response.HasStarted || context.Response.StatusCode is not (404 or 405))
        {
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        var error = context.Response.StatusCode == 405
            ? ApiErrors.MethodNotAllowed(context.Request.Method, path)
            : ApiErrors.RouteNotFound(path);
        var headers = context.Request.Headers;
        if (path.StartsWith("/api/worker", StringComparison.Ordinal))
        {
            if (versions.CheckWorkerProtocol(headers[HeaderNames.WorkerProtocolVersion]) is null)
            {
                await responses.WriteErrorAsync(context, error, ApiPlane.WorkerPlane);
                return;
            }
        }
        else if (VersionGate.CheckControlPlane(headers[HeaderNames.ControlPlaneVersion]) is null)
        {
            await responses.WriteErrorAsync(context, error, ApiPlane.ControlPlane);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            $$"""{"message":"{{(context.Response.StatusCode == 405 ? "Method Not Allowed" : "Not Found")}}"}""",
            context.RequestAborted);
    }
}
