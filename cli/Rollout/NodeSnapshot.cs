using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>What one node answered on the surfaces a rollout reads; a failed read keeps its error text instead.</summary>
public sealed record NodeSnapshot(Uri Node, ServerResponse? Ready, string? ReadyError, JsonObject? ClusterInfo, string? ClusterInfoError, JsonObject? Metrics, string? MetricsError)
{
    public static async Task<NodeSnapshot> ReadAsync(ConnectionSettings settings, bool withMetrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = new ServerClient(settings);
        var (ready, readyError) = await TryAsync(client, "ready", cancellationToken);
        var (info, infoError) = await TryAsync(client, "cluster/info", cancellationToken);
        ServerResponse? metrics = null;
        string? metricsError = null;
        if (withMetrics)
        {
            (metrics, metricsError) = await TryAsync(client, "system/operator-metrics", cancellationToken);
        }

        return new NodeSnapshot(settings.Server, ready, readyError,
            info?.IsSuccess == true ? info.Body as JsonObject : null, infoError ?? Failed(info),
            metrics?.IsSuccess == true ? metrics.Body?["operator_metrics"] as JsonObject : null, metricsError ?? Failed(metrics));
    }

    public string Name => Node.Authority;

    public static async Task<(ServerResponse? Response, string? Error)> TryAsync(ServerClient client, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return (await client.SendRawAsync(HttpMethod.Get, path, timeout: TimeSpan.FromSeconds(10), cancellationToken: cancellationToken), null);
        }
        catch (CliException ex)
        {
            return (null, ex.Message);
        }
    }

    private static string? Failed(ServerResponse? response) =>
        response is null || response.IsSuccess ? null : ServerClient.ErrorFor(response).Message;
}
