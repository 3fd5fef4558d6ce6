using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.WebJobs.Script.Grpc.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.FunctionsHost;

/// <summary>
/// A test-only stand-in for the Azure Functions host driving a real isolated worker over the host/worker gRPC contract
/// (<c>FunctionRpc.proto</c>). It serves the <c>FunctionRpc</c> gRPC service on a loopback port, launches the built worker
/// with the arguments and environment the host passes, answers <c>StartStream</c> with <c>WorkerInitRequest</c>, asks for
/// the worker-indexed metadata, loads every function, and invokes them the way the host does for an ASP.NET Core worker:
/// an <c>InvocationRequest</c> over gRPC plus the original HTTP request forwarded to the worker's advertised
/// <c>HttpUri</c> with the <c>x-ms-invocation-id</c> header. It also has an HTTP front end (<see cref="BaseAddress"/>)
/// that routes by the functions' route templates under the <c>host.json</c> route prefix, so plain HTTP clients can use it.
/// </summary>
public sealed class FunctionsHostStandIn : IAsyncDisposable
{
    /// <summary>The header the ASP.NET Core integration pairs a forwarded request with its invocation by.</summary>
    public const string InvocationIdHeader = "x-ms-invocation-id";

    private const string HttpUriCapability = "HttpUri";
    private const string StandInHostVersion = "4.0.0-standin";

    // The default the host passes (RpcWorkerConstants.DefaultMaxMessageLengthBytes: int.MaxValue).
    private const int GrpcMaxMessageLength = int.MaxValue;

    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly WebApplication app;
    private readonly WorkerStream stream;
    private readonly WorkerProcess worker;
    private readonly HttpClient forwarder;
    private readonly FunctionsHostOptions options;
    private readonly ConcurrentQueue<InvocationRecord> invocations = new();
    private IReadOnlyList<HostedFunction> functions = [];
    private IReadOnlyList<HostedFunction> httpRoutes = [];

    private FunctionsHostStandIn(WebApplication app, WorkerStream stream, WorkerProcess worker, FunctionsHostOptions options, string appDirectory, string routePrefix, Uri baseAddress)
    {
        this.app = app;
        this.stream = stream;
        this.worker = worker;
        this.options = options;
        AppDirectory = appDirectory;
        RoutePrefix = routePrefix;
        BaseAddress = baseAddress;
        forwarder = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The folder the worker runs from (the function app root: <c>host.json</c>, <c>functions.metadata</c>).</summary>
    public string AppDirectory { get; }

    /// <summary><c>extensions.http.routePrefix</c> from the app's <c>host.json</c> (<c>api</c> when absent).</summary>
    public string RoutePrefix { get; }

    /// <summary>The stand-in's HTTP front end; requests to it are routed and invoked like <see cref="InvokeHttpAsync(HttpRequestMessage, CancellationToken)"/>.</summary>
    public Uri BaseAddress { get; }

    public StartStream StartStream { get; private set; } = new();

    public WorkerInitResponse InitResponse { get; private set; } = new();

    public FunctionMetadataResponse MetadataResponse { get; private set; } = new();

    /// <summary>The worker's ASP.NET Core endpoint, from its <c>HttpUri</c> capability.</summary>
    public Uri WorkerHttpUri { get; private set; } = new("http://localhost/");

    /// <summary>The functions the worker indexed, in the order it listed them.</summary>
    public IReadOnlyList<HostedFunction> Functions => functions;

    /// <summary>Every <c>RpcLog</c> the worker streamed so far.</summary>
    public IReadOnlyList<RpcLog> Logs => [.. stream.Logs];

    public IReadOnlyList<InvocationRecord> Invocations => [.. invocations];

    /// <summary>The worker's last stdout/stderr lines.</summary>
    public string WorkerOutput => worker.RecentOutput;

    public bool WorkerHasExited => worker.HasExited;

    /// <summary>Starts the gRPC server and the front end, launches <paramref name="workerAssembly"/>, and completes once every function is loaded.</summary>
    public static async Task<FunctionsHostStandIn> StartAsync(
        string workerAssembly,
        IReadOnlyDictionary<string, string?> environment,
        FunctionsHostOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        options ??= new FunctionsHostOptions();
        if (!File.Exists(workerAssembly))
        {
            throw new FileNotFoundException($"Worker assembly not built: {workerAssembly}", workerAssembly);
        }

        var appDirectory = Path.GetDirectoryName(Path.GetFullPath(workerAssembly))!;
        var routePrefix = ReadRoutePrefix(appDirectory);
        var grpcPort = FreeTcpPort();
        var frontPort = FreeTcpPort();
        var stream = new WorkerStream();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, frontPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton(stream);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        var app = builder.Build();
        app.MapGrpcService<WorkerStream>();

        var grpcUri = new Uri($"http://127.0.0.1:{grpcPort.ToString(CultureInfo.InvariantCulture)}/");
        var frontUri = new Uri($"http://127.0.0.1:{frontPort.ToString(CultureInfo.InvariantCulture)}/");
        FunctionsHostStandIn? host = null;
        app.MapFallback(context => host!.ServeFrontEndAsync(context));
        await app.StartAsync(cancellationToken);

        var workerId = Guid.NewGuid().ToString();
        var requestId = Guid.NewGuid().ToString();
        WorkerProcess worker;
        try
        {
            worker = WorkerProcess.Start(workerAssembly, WorkerArguments(grpcUri, workerId, requestId), WorkerEnvironment(appDirectory, environment));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        host = new FunctionsHostStandIn(app, stream, worker, options, appDirectory, routePrefix, frontUri);
        try
        {
            await host.InitializeAsync(cancellationToken);
            return host;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var output = host.WorkerOutput;
            await host.DisposeAsync();
            throw new InvalidOperationException($"The worker did not start under the stand-in: {ex.Message}{Environment.NewLine}{output}", ex);
        }
    }

    /// <summary>The function the host would route <paramref name="method"/> <paramref name="path"/> to, or null (the host answers 404).</summary>
    public HostedFunction? Route(string method, string path) => Match(method, path)?.Function;

    /// <summary>Routes the request like the host (route templates under the route prefix, methods) and invokes the function.</summary>
    public async Task<FunctionHttpResult> InvokeHttpAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = PathOf(request);
        var match = Match(request.Method.Method, path)
            ?? throw new InvalidOperationException($"No function is routed {request.Method} {path}.");
        return await InvokeHttpCoreAsync(match.Function, match.Values, request, cancellationToken);
    }

    /// <summary>Invokes the named HTTP function; the request's path must match that function's route.</summary>
    public async Task<FunctionHttpResult> InvokeHttpAsync(string functionName, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var function = Function(functionName);
        var path = PathOf(request);
        if (!function.TryMatch(request.Method.Method, path, out var values))
        {
            throw new InvalidOperationException($"{request.Method} {path} does not match function {function}.");
        }

        return await InvokeHttpCoreAsync(function, values, request, cancellationToken);
    }

    /// <summary>Invokes a timer function with the <c>TimerInfo</c> JSON the host's timer binding sends.</summary>
    public async Task<InvocationRecord> InvokeTimerAsync(string functionName, bool isPastDue = false, CancellationToken cancellationToken = default)
    {
        var function = Function(functionName);
        if (!string.Equals(function.TriggerType, "timerTrigger", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{function} is not a timer function.");
        }

        var now = DateTime.UtcNow;
        var timerInfo = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject
            {
                ["Last"] = now.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture),
                ["Next"] = now.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture),
                ["LastUpdated"] = now.ToString("O", CultureInfo.InvariantCulture),
            },
            ["IsPastDue"] = isPastDue,
        }.ToJsonString();

        var invocation = NewInvocation(function);
        invocation.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = new TypedData { Json = timerInfo } });
        invocation.TriggerMetadata[function.TriggerName] = new TypedData { Json = timerInfo };
        var response = await stream.RequestAsync(
            new StreamingMessage { InvocationRequest = invocation },
            "invocation:" + invocation.InvocationId,
            options.InvocationTimeout,
            cancellationToken);
        var record = new InvocationRecord(function.Name, invocation.InvocationId, response.InvocationResponse);
        invocations.Enqueue(record);
        return record;
    }

    public HostedFunction Function(string name) =>
        functions.FirstOrDefault(f => f.Name == name) ?? throw new InvalidOperationException($"The worker has no function named {name}.");

    public async ValueTask DisposeAsync()
    {
        if (!worker.HasExited)
        {
            try
            {
                stream.Send(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) } });
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await worker.WaitForExitAsync(grace.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                // Stream already closed or the worker ignored the request; it is killed below.
            }
        }

        await worker.DisposeAsync();
        forwarder.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await app.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Connections that would not close in time are dropped by the dispose below.
            }
        }

        await app.DisposeAsync();
    }

    private static IEnumerable<string> WorkerArguments(Uri grpcUri, string workerId, string requestId)
    {
        var maxLength = GrpcMaxMessageLength.ToString(CultureInfo.InvariantCulture);

        // The host passes the legacy switches and their "functions-" prefixed copies; the .NET worker reads the latter.
        return
        [
            "--host", grpcUri.Host,
            "--port", grpcUri.Port.ToString(CultureInfo.InvariantCulture),
            "--workerId", workerId,
            "--requestId", requestId,
            "--grpcMaxMessageLength", maxLength,
            "--functions-uri", grpcUri.AbsoluteUri,
            "--functions-worker-id", workerId,
            "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", maxLength,
        ];
    }

    private static Dictionary<string, string?> WorkerEnvironment(string appDirectory, IReadOnlyDictionary<string, string?> environment)
    {
        // The host's environment (app settings) plus what it sets for a worker process; a URL override would move the
        // worker's own HTTP listener away from the URI it advertises.
        var result = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = null,
            ["ASPNETCORE_HTTP_PORTS"] = null,
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = null,
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory,
            ["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory,
            ["AzureWebJobsScriptRoot"] = appDirectory,
        };
        foreach (var (key, value) in environment)
        {
            result[key] = value;
        }

        return result;
    }

    private static string ReadRoutePrefix(string appDirectory)
    {
        var hostJson = Path.Combine(appDirectory, "host.json");
        if (!File.Exists(hostJson))
        {
            throw new FileNotFoundException($"host.json is not in the function app root {appDirectory}.", hostJson);
        }

        var root = JsonNode.Parse(File.ReadAllText(hostJson), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return (string?)root?["extensions"]?["http"]?["routePrefix"] ?? "api";
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string PathOf(HttpRequestMessage request)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        return uri.IsAbsoluteUri ? uri.AbsolutePath : "/" + uri.OriginalString.Split('?', 2)[0].TrimStart('/');
    }

    private static InvocationRequest NewInvocation(HostedFunction function) => new()
    {
        FunctionId = function.FunctionId,
        InvocationId = Guid.NewGuid().ToString(),
        TraceContext = new RpcTraceContext
        {
            TraceParent = $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00",
            TraceState = string.Empty,
        },
    };

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        using var exited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = worker.WaitForExitAsync(exited.Token).ContinueWith(_ => exited.Cancel(), TaskScheduler.Default);
        try
        {
            StartStream = await stream.Started.WaitAsync(options.StartTimeout, exited.Token);

            var init = await stream.RequestAsync(
                new StreamingMessage
                {
                    RequestId = Guid.NewGuid().ToString(),
                    WorkerInitRequest = new WorkerInitRequest
                    {
                        HostVersion = StandInHostVersion,
                        WorkerDirectory = AppDirectory,
                        FunctionAppDirectory = AppDirectory,
                    },
                },
                nameof(StreamingMessage.ContentOneofCase.WorkerInitResponse),
                options.StartTimeout,
                exited.Token);
            InitResponse = init.WorkerInitResponse;
            EnsureSuccess(InitResponse.Result, "WorkerInitResponse");
            if (!InitResponse.Capabilities.TryGetValue(HttpUriCapability, out var httpUri) || !Uri.TryCreate(httpUri, UriKind.Absolute, out var workerHttpUri))
            {
                throw new InvalidOperationException("The worker did not advertise an HttpUri capability; is the ASP.NET Core integration configured?");
            }

            WorkerHttpUri = workerHttpUri;

            var metadata = await stream.RequestAsync(
                new StreamingMessage
                {
                    RequestId = Guid.NewGuid().ToString(),
                    FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = AppDirectory },
                },
                nameof(StreamingMessage.ContentOneofCase.FunctionMetadataResponse),
                options.StartTimeout,
                exited.Token);
            MetadataResponse = metadata.FunctionMetadataResponse;
            EnsureSuccess(MetadataResponse.Result, "FunctionMetadataResponse");
            functions = [.. MetadataResponse.FunctionMetadataResults.Select(m => new HostedFunction(m, RoutePrefix))];

            // Literal segments before parameters before catch-alls, as the host's route table orders them.
            httpRoutes = [.. functions.Where(f => f.IsHttp).OrderBy(f => f.Precedence)];

            foreach (var function in functions)
            {
                var loadMetadata = function.Metadata.Clone();
                loadMetadata.FunctionId = function.FunctionId;
                loadMetadata.Directory = AppDirectory;
                var load = await stream.RequestAsync(
                    new StreamingMessage
                    {
                        RequestId = Guid.NewGuid().ToString(),
                        FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = loadMetadata },
                    },
                    "load:" + function.FunctionId,
                    options.StartTimeout,
                    exited.Token);
                EnsureSuccess(load.FunctionLoadResponse.Result, $"FunctionLoadResponse for {function.Name}");
            }
        }
        catch (OperationCanceledException) when (worker.HasExited && !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException("The worker process exited during start-up.");
        }
        finally
        {
            await exited.CancelAsync();
            await watch;
        }
    }

    private (HostedFunction Function, RouteValueDictionary Values)? Match(string method, string path)
    {
        foreach (var function in httpRoutes)
        {
            if (function.TryMatch(method, path, out var values))
            {
                return (function, values);
            }
        }

        return null;
    }

    private async Task<FunctionHttpResult> InvokeHttpCoreAsync(
        HostedFunction function,
        RouteValueDictionary routeValues,
        HttpRequestMessage request,
        CancellationToken cancellationToken)
    {
        var absolute = request.RequestUri!.IsAbsoluteUri ? request.RequestUri : new Uri(BaseAddress, request.RequestUri);
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);

        var invocation = NewInvocation(function);

        // The worker binds HttpRequest from the forwarded request; the gRPC side carries the trigger's method and URL and,
        // as binding data, the route values, query and headers (the worker declared RpcHttpTriggerMetadataRemoved, so the
        // request object itself is left out).
        invocation.InputData.Add(new ParameterBinding
        {
            Name = function.TriggerName,
            Data = new TypedData { Http = new RpcHttp { Method = request.Method.Method, Url = absolute.AbsoluteUri } },
        });
        foreach (var (key, value) in routeValues)
        {
            if (value is not null)
            {
                invocation.TriggerMetadata[key] = new TypedData { String = Convert.ToString(value, CultureInfo.InvariantCulture) };
            }
        }

        var query = new JsonObject();
        foreach (var (key, value) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(absolute.Query))
        {
            query[key] = value.ToString();
        }

        var headers = new JsonObject();
        foreach (var header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
        {
            headers[header.Key] = string.Join(",", header.Value);
        }

        invocation.TriggerMetadata["Query"] = new TypedData { Json = query.ToJsonString() };
        invocation.TriggerMetadata["Headers"] = new TypedData { Json = headers.ToJsonString() };

        var invoked = stream.RequestAsync(
            new StreamingMessage { InvocationRequest = invocation },
            "invocation:" + invocation.InvocationId,
            options.InvocationTimeout,
            cancellationToken);

        using var forwarded = new HttpRequestMessage(request.Method, new Uri(WorkerHttpUri, absolute.PathAndQuery));
        foreach (var header in request.Headers)
        {
            if (!HopByHopHeaders.Contains(header.Key))
            {
                forwarded.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        forwarded.Headers.TryAddWithoutValidation(InvocationIdHeader, invocation.InvocationId);
        if (body is not null)
        {
            forwarded.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers)
            {
                forwarded.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.InvocationTimeout);
        using var response = await forwarder.SendAsync(forwarded, HttpCompletionOption.ResponseContentRead, timeout.Token);
        var responseBody = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        var answer = await invoked;

        var record = new InvocationRecord(function.Name, invocation.InvocationId, answer.InvocationResponse);
        invocations.Enqueue(record);
        return new FunctionHttpResult(function.Name, invocation.InvocationId, response.StatusCode, response.Headers, response.Content.Headers, responseBody, answer.InvocationResponse);
    }

    private async Task ServeFrontEndAsync(HttpContext context)
    {
        var request = context.Request;
        var match = Match(request.Method, request.Path.Value ?? "/");
        if (match is null)
        {
            // The host answers an unrouted request itself with an empty 404.
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(BaseAddress, request.Path.Value + request.QueryString.Value));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            message.Content = new ByteArrayContent(buffer.ToArray());
        }

        foreach (var (key, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(key, (IEnumerable<string?>)value))
            {
                message.Content?.Headers.TryAddWithoutValidation(key, (IEnumerable<string?>)value);
            }
        }

        var result = await InvokeHttpCoreAsync(match.Value.Function, match.Value.Values, message, context.RequestAborted);
        if (!result.Succeeded)
        {
            // A failed invocation is the host's 500, whatever the worker wrote.
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        context.Response.StatusCode = (int)result.Status;
        foreach (var header in result.Headers.Concat(result.ContentHeaders))
        {
            if (!HopByHopHeaders.Contains(header.Key))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        context.Response.ContentLength = result.Body.Length;
        await context.Response.Body.WriteAsync(result.Body, context.RequestAborted);
    }

    private static void EnsureSuccess(StatusResult result, string what)
    {
        if (result.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{what}: {result.Status} {result.Exception?.Message}{Environment.NewLine}{result.Exception?.StackTrace}");
        }
    }
}
