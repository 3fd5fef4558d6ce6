using System.Buffers;
using System.Collections.Concurrent;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Namespaces;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>
/// Serves one API route, whichever host dispatched to it: the spec's checks in order — payload gate,
/// authentication, role, protocol version, namespace — so that the first failure wins and later checks never leak
/// information, then the handler, then response coding. It reads nothing from ASP.NET endpoint metadata or routing
/// (a Functions invocation has neither) and lets no exception escape (the isolated worker would answer an empty 200).
/// </summary>
public sealed partial class ApiPipeline(
    IServiceProvider services,
    ServerSettings settings,
    TokenAuthenticator authenticator,
    VersionGate versions,
    ApiResponses responses,
    NamespaceExistenceCache namespaces,
    ILogger<ApiPipeline> logger)
{
    private readonly ConcurrentDictionary<ApiRoute, CompiledRoute> compiled = new(ReferenceEqualityComparer.Instance);

    private readonly Lazy<IReadOnlyList<TemplateMatcher>> knownPaths = new(
        () => [.. ApiRoutes.All.Select(route => route.Template).Distinct(StringComparer.Ordinal).Select(Matcher)]);

    /// <summary>Answers the request for <paramref name="route"/>; never throws.</summary>
    public async Task InvokeAsync(HttpContext context, ApiRoute route)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(route);
        var original = context.Response.Body;
        MemoryStream? buffer = null;
        try
        {
            var coding = settings.CompressionEnabled ? ResponseCoding.Choose(context.Request.Headers.AcceptEncoding) : null;
            if (coding is not null)
            {
                buffer = new MemoryStream();
                context.Response.Body = buffer;
            }

            try
            {
                await ServeAsync(context, route);
            }
            catch (Exception ex)
            {
                await FailAsync(context, route, ex);
            }
            finally
            {
                context.Response.Body = original;
            }

            if (buffer is not null)
            {
                await ResponseCompression.CopyAsync(context, buffer, coding!);
            }
        }
        catch (Exception ex)
        {
            LastResort(context, ex);
        }
        finally
        {
            if (buffer is not null)
            {
                await buffer.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Unknown routes and wrong methods: the documented envelope only when the caller speaks a protocol version, a
    /// plain message otherwise. A path that some route serves with another method is 405.
    /// </summary>
    public async Task NotFoundAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await WriteNotFoundAsync(context);
        }
        catch (Exception ex)
        {
            LastResort(context, ex);
        }
    }

    private async Task ServeAsync(HttpContext context, ApiRoute route)
    {
        var target = compiled.GetOrAdd(route, Compile);
        var values = new RouteValueDictionary();
        if (!target.Matcher.TryMatch(RelativePath(context), values))
        {
            await WriteNotFoundAsync(context);
            return;
        }

        context.Request.RouteValues = values;
        var request = ApiRequest.Of(context);
        request.Route = route;
        var policy = route.Policy;
        var payloadError = await ReadPayloadAsync(context, request);
        if (payloadError is not null)
        {
            await responses.WriteErrorAsync(context, payloadError, policy.Plane);
            return;
        }

        if (!policy.Guard.IsPublic)
        {
            var error = await AdmitAsync(context, request, policy);
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

        await target.Handler(context);
    }

    private async Task FailAsync(HttpContext context, ApiRoute route, Exception exception)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(logger, context.Request.Method, context.Request.Path);
            return;
        }

        if (context.Response.HasStarted)
        {
            LogUnhandled(logger, exception, route.Name, context.Request.Method, context.Request.Path);
            context.Abort();
            return;
        }

        ApiError error;
        if (ApiFailure.IsDatabaseOutage(exception))
        {
            LogDatabaseUnavailable(logger, exception, route.Name, context.Request.Method, context.Request.Path);
            error = ApiFailure.DatabaseUnavailable();
        }
        else if (ApiFailure.IsTransientAbort(exception))
        {
            LogTransientAbort(logger, exception, route.Name, context.Request.Method, context.Request.Path);
            error = ApiFailure.TransientAbort();
        }
        else if (exception is BadHttpRequestException badRequest)
        {
            // Kestrel could not read the request (a truncated or malformed body): the client's fault, not a bug.
            error = new ApiError(badRequest.StatusCode, "bad_request", "The request could not be read.");
        }
        else
        {
            LogUnhandled(logger, exception, route.Name, context.Request.Method, context.Request.Path);
            error = ApiFailure.InternalError();
        }

        // Drops whatever the handler had written (the buffered body included) so only the envelope goes out.
        context.Response.Clear();
        if (error.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = ApiFailure.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await responses.WriteErrorAsync(context, error, route.Policy.Plane);
    }

    /// <summary>The answer could not be written at all: a gone client is routine, anything else cuts the connection.</summary>
    private void LastResort(HttpContext context, Exception exception)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(logger, context.Request.Method, context.Request.Path);
            return;
        }

        LogWriteFailed(logger, exception, context.Request.Method, context.Request.Path);
        context.Abort();
    }

    private async Task WriteNotFoundAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var relative = RelativePath(context);
        var pathKnown = context.Request.Path.StartsWithSegments("/" + RouteTemplates.Prefix)
            && knownPaths.Value.Any(matcher => matcher.TryMatch(relative, []));
        context.Response.StatusCode = pathKnown ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound;
        var error = pathKnown ? ApiErrors.MethodNotAllowed(context.Request.Method, path) : ApiErrors.RouteNotFound(path);
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
            $$"""{"message":"{{(pathKnown ? "Method Not Allowed" : "Not Found")}}"}""",
            context.RequestAborted);
    }

    private async Task<ApiError?> AdmitAsync(HttpContext context, ApiRequest request, RoutePolicy policy)
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

        if (RequestText.Check(request.Body, TextParameters(context, request.Namespace)) is { } textError)
        {
            return textError;
        }

        if (policy.NamespaceMustExist && !await namespaces.ExistsAsync(request.Namespace, context.RequestAborted))
        {
            return ApiErrors.NamespaceNotFound(request.Namespace);
        }

        return null;
    }

    /// <summary>Every caller-supplied string an endpoint may hand to the engine: query, route values, the namespace.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> TextParameters(HttpContext context, string selectedNamespace) =>
        context.Request.Query.SelectMany(q => q.Value.Select(value => KeyValuePair.Create(q.Key, value)))
            .Concat(context.Request.RouteValues.Select(r => KeyValuePair.Create(RequestText.FieldName(r.Key), r.Value as string)))
            .Append(KeyValuePair.Create(RequestText.NamespaceField, (string?)selectedNamespace));

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

    /// <summary>The path below <c>/api</c>, which is what templates describe; both hosts forward the full path.</summary>
    private static PathString RelativePath(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/" + RouteTemplates.Prefix, out var rest) ? rest : context.Request.Path;

    private static TemplateMatcher Matcher(string template) =>
        new(new RouteTemplate(RoutePatternFactory.Parse(template)), []);

    private CompiledRoute Compile(ApiRoute route)
    {
        var pattern = RoutePatternFactory.Parse(route.Template);
        var handler = RequestDelegateFactory.Create(route.Handler, new RequestDelegateFactoryOptions
        {
            ServiceProvider = services,
            RouteParameterNames = [.. pattern.Parameters.Select(p => p.Name)],
        });
        return new CompiledRoute(new TemplateMatcher(new RouteTemplate(pattern), []), handler.RequestDelegate);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Unhandled error in {Route} on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string route, string method, PathString path);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Database unavailable in {Route} on {Method} {Path}; answered 503")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, string route, string method, PathString path);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Database aborted the transaction in {Route} on {Method} {Path}; answered 503")]
    private static partial void LogTransientAbort(ILogger logger, Exception exception, string route, string method, PathString path);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Client went away during {Method} {Path}")]
    private static partial void LogClientGone(ILogger logger, string method, PathString path);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Could not write the answer to {Method} {Path}; connection aborted")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string method, PathString path);

    private sealed record CompiledRoute(TemplateMatcher Matcher, RequestDelegate Handler);
}
