using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Http;

/// <summary>
/// The control-plane HTTP client: <c>&lt;server&gt;/api/&lt;path&gt;</c> with the headers the official CLI sends on every
/// request (spec §13.2), JSON bodies, and every failure turned into a <see cref="CliException"/> with its exit code.
/// </summary>
public sealed class ServerClient : IDisposable
{
    public const string ControlPlaneVersionHeader = "X-Durable-Workflow-Control-Plane-Version";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient http;

    public ServerClient(ConnectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        var handler = new HttpClientHandler();
        if (!settings.TlsVerify)
        {
            // The operator asked for it (--tls-verify=false / DURABLE_WORKFLOW_TLS_VERIFY=0), e.g. a self-signed dev server.
            handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
        }

        http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public ConnectionSettings Settings { get; }

    /// <summary>Sends a request and returns the JSON body; any status ≥ 400 becomes a <see cref="CliException"/>.</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, QueryString? query = null, JsonNode? body = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var response = await SendRawAsync(method, path, query, body, timeout, cancellationToken);
        if (response.Status is not (401 or 403) && IsWorkerPlane(path))
        {
            // Auth rejections may come from a gateway in front of the server, so only they skip the envelope check.
            WorkerProtocol.CheckResponse(path, response, Settings.WorkerProtocolVersion);
        }

        if (!response.IsSuccess)
        {
            throw ErrorFor(response);
        }

        return response.Body;
    }

    public Task<JsonNode?> GetAsync(string path, QueryString? query = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, path, query, null, null, cancellationToken);

    /// <summary>Sends a request and returns whatever status came back; only transport failures and timeouts throw.</summary>
    public async Task<ServerResponse> SendRawAsync(HttpMethod method, string path, QueryString? query = null, JsonNode? body = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        var uri = new Uri($"{Settings.Server.AbsoluteUri.TrimEnd('/')}/api/{path.TrimStart('/')}{query}");
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Add("X-Namespace", Settings.Namespace);
        request.Headers.Add(WorkerProtocol.Header, Settings.WorkerProtocolVersion);
        request.Headers.Add(ControlPlaneVersionHeader, Settings.ControlPlaneVersion);
        if (!string.IsNullOrEmpty(Settings.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Settings.Token);
        }

        if (body is not null && method != HttpMethod.Get && method != HttpMethod.Delete)
        {
            request.Content = new StringContent(body.ToJsonString(JsonOutput.Options), Encoding.UTF8, "application/json");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            using var response = await http.SendAsync(request, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            var protocol = response.Headers.TryGetValues(WorkerProtocol.Header, out var values) ? values.FirstOrDefault()?.Trim() : null;
            return new ServerResponse((int)response.StatusCode, Parse(text), text, string.IsNullOrEmpty(protocol) ? null : protocol);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Timeout, $"Request to {Settings.Server} timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0} s.", "timeout");
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(ExitCodes.Network, $"Could not reach server {Settings.Server}: {Flatten(ex)}", "network_error");
        }
    }

    /// <summary>The official error text: <c>Server error: </c> + message, error, first validation message, rejection, or HTTP status.</summary>
    public static CliException ErrorFor(ServerResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = response.Body as JsonObject;
        var detail = Text(body?["message"]) ?? Text(body?["error"]) ?? FirstValidation(body?["errors"]) ?? FirstValidation(body?["validation_errors"])
            ?? (Text(body?["rejection_reason"]) is { } rejected ? $"Rejected: {rejected}" : null)
            ?? $"HTTP {response.Status}";
        return new CliException(ExitCodes.ForStatus(response.Status), $"Server error: {detail}", Text(body?["reason"]), response.Status, response.Body);
    }

    public void Dispose() => http.Dispose();

    /// <summary>The worker plane: <c>/api/worker</c> and below (not the <c>/api/workers</c> management routes).</summary>
    public static bool IsWorkerPlane(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var trimmed = path.TrimStart('/');
        return trimmed == "worker" || trimmed.StartsWith("worker/", StringComparison.Ordinal);
    }

    private static JsonNode? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;

    private static string? FirstValidation(JsonNode? errors) => errors switch
    {
        JsonObject map => map.Select(p => p.Value switch
        {
            JsonArray list => list.Select(Text).FirstOrDefault(t => t is not null),
            var other => Text(other),
        }).FirstOrDefault(t => t is not null),
        JsonArray list => list.Select(e => Text(e) ?? Text(e?["message"])).FirstOrDefault(t => t is not null),
        _ => null,
    };

    private static string Flatten(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message = $"{message} ({inner.Message})";
            }
        }

        return message;
    }
}
