using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Cli;

/// <summary>One request the stub received.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A loopback HTTP stub standing in for a server where the test needs exact control: it records every request and
/// answers through <see cref="Respond"/>; <c>/api/cluster/info</c> answers <see cref="ClusterInfo"/> unless overridden.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    /// <summary>A free port can be taken by another process between finding it and listening on it.</summary>
    private const int ListenAttempts = 10;

    private readonly HttpListener listener;
    private readonly Task loop;

    public RecordingServer()
    {
        for (var attempt = 1; ; attempt++)
        {
            var candidate = new HttpListener();
            var address = new Uri($"http://127.0.0.1:{FreePort()}/");
            candidate.Prefixes.Add(address.AbsoluteUri);
            try
            {
                candidate.Start();
                (listener, BaseAddress) = (candidate, address);
                break;
            }
            catch (HttpListenerException) when (attempt < ListenAttempts)
            {
                candidate.Close();
            }
        }

        loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>The discovery document the preflight reads: compatible with the CLI unless a test changes it.</summary>
    public JsonObject ClusterInfo { get; set; } = CompatibleClusterInfo();

    /// <summary>Answers a request that is not cluster info: status and JSON body.</summary>
    public Func<RecordedRequest, (int Status, JsonNode? Body)> Respond { get; set; } = _ => (200, new JsonObject());

    /// <summary>Headers added to every answer other than cluster info (e.g. the worker-protocol version).</summary>
    public Dictionary<string, string> ResponseHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<RecordedRequest> ApiCalls => [.. Requests.Where(r => r.Path != "/api/cluster/info")];

    public static JsonObject CompatibleClusterInfo(string controlPlane = "2", string workerProtocol = "1.1") => new()
    {
        ["server_id"] = "stub",
        ["version"] = "0.1.0",
        ["server_build_id"] = "stub-build",
        ["client_compatibility"] = new JsonObject { ["clients"] = new JsonObject { ["cli"] = new JsonObject { ["supported_versions"] = ">=0.1,<3.0" } } },
        ["control_plane"] = new JsonObject
        {
            ["version"] = controlPlane,
            ["request_contract"] = new JsonObject { ["schema"] = "durable-workflow.v2.control-plane-request.contract", ["version"] = 1, ["operations"] = new JsonObject() },
        },
        ["worker_protocol"] = new JsonObject { ["version"] = workerProtocol },
        ["worker_fleet"] = new JsonObject { ["queues"] = new JsonArray() },
    };

    public async ValueTask DisposeAsync()
    {
        // Close alone: Stop first unregisters the endpoint, and Close then re-registers it to unregister again, which
        // binds the port once more and fails if another process took it meanwhile ("Address already in use").
        listener.Close();
        try
        {
            await loop;
        }
        catch (HttpListenerException)
        {
            // Stopping the listener ends the pending GetContextAsync with this exception; the loop is done.
        }
        catch (ObjectDisposedException)
        {
            // Same, on the other timing of Close.
        }
    }

    private async Task LoopAsync()
    {
        while (listener.IsListening)
        {
            var context = await listener.GetContextAsync();
            var request = context.Request;
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var query = request.QueryString.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.QueryString[k]!, StringComparer.Ordinal);
            var headers = request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var recorded = new RecordedRequest(request.HttpMethod, request.Url!.AbsolutePath, query, body, headers);
            Requests.Enqueue(recorded);
            var (status, answer) = recorded.Path == "/api/cluster/info" ? (200, ClusterInfo) : Respond(recorded);
            var bytes = Encoding.UTF8.GetBytes(answer?.ToJsonString() ?? string.Empty);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            if (recorded.Path != "/api/cluster/info")
            {
                foreach (var (name, value) in ResponseHeaders)
                {
                    context.Response.Headers[name] = value;
                }
            }

            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
