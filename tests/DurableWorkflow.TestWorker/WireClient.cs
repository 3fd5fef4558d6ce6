using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.TestWorker;

/// <summary>
/// Plain HTTP to a real server, with the headers the Python SDK sends (worker-protocol §8.0): <c>Content-Type</c> and
/// <c>Accept</c> <c>application/json</c> on every request (an empty JSON body on GET/DELETE, as httpx's client-wide
/// header does), <c>X-Namespace</c>, <c>Authorization: Bearer</c>, plus the plane's version header.
/// </summary>
public abstract class WireClient : IDisposable
{
    /// <summary>Python's default HTTP timeout for non-poll calls.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient http;

    protected WireClient(Uri server, string? token, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(server);
        // httpx sends Accept-Encoding: gzip, deflate; automatic decompression adds the same header.
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        http = new HttpClient(handler, disposeHandler: true) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        Token = token;
        Namespace = @namespace;
    }

    public Uri Server => http.BaseAddress!;

    public string? Token { get; }

    public string Namespace { get; }

    /// <summary>Sends a request with the plane's headers; <paramref name="adjust"/> may then remove or alter any of them.</summary>
    public async Task<WireResponse> SendAsync(
        HttpMethod method,
        string path,
        JsonNode? body,
        CancellationToken cancellationToken,
        TimeSpan? timeout = null,
        Action<HttpRequestMessage>? adjust = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body.ToJsonString());
        return await SendBytesAsync(method, path, bytes, cancellationToken, timeout, adjust);
    }

    /// <summary>Sends raw body bytes (for malformed-input tests) with the plane's headers.</summary>
    public async Task<WireResponse> SendBytesAsync(
        HttpMethod method,
        string path,
        byte[] body,
        CancellationToken cancellationToken,
        TimeSpan? timeout = null,
        Action<HttpRequestMessage>? adjust = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = Json;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Add("X-Namespace", Namespace);
        if (Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        AddPlaneHeaders(request);
        adjust?.Invoke(request);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        var stopwatch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
        var text = await response.Content.ReadAsStringAsync(deadline.Token);
        stopwatch.Stop();
        return WireResponse.From(response, text, stopwatch.Elapsed);
    }

    public void Dispose()
    {
        http.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract void AddPlaneHeaders(HttpRequestMessage request);
}

/// <summary>One answer: status, parsed JSON body (null when the body is not a JSON object), headers and round-trip time.</summary>
public sealed record WireResponse(
    HttpStatusCode Status,
    JsonObject? Body,
    string Text,
    IReadOnlyDictionary<string, string> Headers,
    TimeSpan Elapsed)
{
    public int StatusCode => (int)Status;

    public string? Reason => Body?["reason"] is JsonValue value && value.TryGetValue<string>(out var reason) ? reason : null;

    /// <summary>The JSON body; throws when the answer was not a JSON object.</summary>
    public JsonObject Json => Body ?? throw new WireException(this, "The response body is not a JSON object.");

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>Throws <see cref="WireException"/> unless the status is one of <paramref name="expected"/>.</summary>
    public WireResponse Expect(params HttpStatusCode[] expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return expected.Contains(Status) ? this : throw new WireException(this, $"Expected {string.Join('/', expected.Select(s => (int)s))}.");
    }

    public override string ToString() => $"{StatusCode} {Text}";

    internal static WireResponse From(HttpResponseMessage response, string text, TimeSpan elapsed)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name] = string.Join(", ", values);
        }

        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            // Not JSON: the caller sees Body == null and the raw text.
        }

        return new WireResponse(response.StatusCode, body, text, headers, elapsed);
    }
}

/// <summary>An answer the caller did not expect; the message carries the status and body.</summary>
public sealed class WireException : Exception
{
    public WireException()
    {
    }

    public WireException(string message)
        : base(message)
    {
    }

    public WireException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WireException(WireResponse response, string message)
        : base($"{message} Got {response?.StatusCode}: {response?.Text}")
    {
        Response = response;
    }

    public WireResponse? Response { get; }
}
