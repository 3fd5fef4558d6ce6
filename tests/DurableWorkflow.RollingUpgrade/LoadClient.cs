using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>
/// The drill's client traffic through the load balancer. A request is retried on a connection error (reset,
/// refused, timeout) and on 503 as the seed's clients do, and also on 502/504, which is how HAProxy hands a client
/// the reset of a backend connection; every retry is counted under its cause. Latency is the client's view
/// (first send to final answer, retries included), filed under the drill phase the request started in.
/// </summary>
public sealed class LoadClient(Uri loadBalancer, string token) : IDisposable
{
    private static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(30);

    private readonly ControlClient client = new(loadBalancer, token);
    private readonly ConcurrentDictionary<string, int> retries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Phase, double Milliseconds)> latencies = new();
    private readonly ConcurrentQueue<string> failures = new();
    private readonly CancellationTokenSource abort = new();
    private int requests;

    public volatile string Phase = "before";

    public int Requests => requests;

    public IReadOnlyDictionary<string, int> Retries => retries;

    public IReadOnlyCollection<string> Failures => failures;

    public IReadOnlyCollection<(string Phase, double Milliseconds)> Latencies => latencies;

    public ControlClient Client => client;

    /// <summary>Sends until an answer with one of <paramref name="ok"/> or a non-retryable one; null = failed.</summary>
    public async Task<WireResponse?> SendAsync(string what, Func<CancellationToken, Task<WireResponse>> send, int[] ok, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(ok);
        Interlocked.Increment(ref requests);
        var phase = Phase;
        var watch = Stopwatch.StartNew();
        string? last = null;
        while (watch.Elapsed < RetryBudget && !cancellationToken.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            string cause;
            try
            {
                var response = await send(cancellationToken);
                if (ok.Contains(response.StatusCode))
                {
                    latencies.Enqueue((phase, watch.Elapsed.TotalMilliseconds));
                    return response;
                }

                if (response.StatusCode is not (502 or 503 or 504))
                {
                    failures.Enqueue($"{what}: {Short(response.ToString())}");
                    return null;
                }

                cause = $"http {response.StatusCode}";
                last = response.ToString();
            }
            catch (HttpRequestException ex)
            {
                cause = ex.HttpRequestError == HttpRequestError.Unknown ? "connection" : $"connection ({ex.HttpRequestError})";
                last = ex.Message;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                cause = "timeout";
                last = ex.Message;
            }

            retries.AddOrUpdate(cause, 1, (_, n) => n + 1);
            await Task.Delay(200, cancellationToken);
        }

        // An aborted drill has already failed; its cut-off requests are not client failures.
        if (!abort.IsCancellationRequested)
        {
            failures.Enqueue($"{what}: gave up after {watch.Elapsed.TotalSeconds:F0} s: {Short(last ?? "cancelled")}");
        }

        return null;
    }

    public Task<WireResponse?> StartAsync(string workflowId, int number, CancellationToken cancellationToken)
    {
        var body = ControlClient.StartBody(DrillWorker.OrderWorkflow, Drill.Queue, new JsonArray(number), workflowId);
        // A retried start must not fork a second run: use-existing answers the retry with the run the first one made.
        body["duplicate_policy"] = "use-existing";
        return SendAsync($"start {workflowId}", ct => client.StartWorkflowAsync(body, ct), [200, 201], cancellationToken);
    }

    public Task<WireResponse?> SignalAsync(string workflowId, CancellationToken cancellationToken)
    {
        // request_id makes a retried signal a replay of the first, not a second signal.
        var body = new JsonObject { ["input"] = Payloads.Arguments($"sig-{workflowId}"), ["request_id"] = $"sig-{workflowId}" };
        return SendAsync($"signal {workflowId}", ct => client.SendAsync(HttpMethod.Post,
            $"/api/workflows/{Uri.EscapeDataString(workflowId)}/signal/{DrillWorker.Signal}", body, ct), [200, 202], cancellationToken);
    }

    /// <summary>Stops every retry loop at once (an aborted drill must not keep hammering a dead cluster).</summary>
    public void Abort() => abort.Cancel();

    public void Dispose()
    {
        abort.Dispose();
        client.Dispose();
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] : text;
}
