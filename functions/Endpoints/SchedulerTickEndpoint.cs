using System.Text.Json;
using System.Text.Json.Serialization;
using DurableWorkflow.Core.Scheduling;

namespace DurableWorkflow.Functions.Endpoints;

/// <summary>
/// The custom-handler invocation of the <c>SchedulerTick</c> timer function. The host posts a JSON envelope to
/// <c>/SchedulerTick</c> on loopback and needs a 2xx answer with <c>Outputs</c>, <c>Logs</c> and <c>ReturnValue</c>.
/// </summary>
public static class SchedulerTickEndpoint
{
    public const string Path = "/SchedulerTick";

    public static void MapSchedulerTick(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(Path, async (HttpContext context, SchedulerTickRunner runner, CancellationToken token) =>
        {
            // Only the local Functions host (or an in-process test) may trigger a tick; the public route prefix is /api.
            var remote = context.Connection.RemoteIpAddress;
            if (remote is not null && !System.Net.IPAddress.IsLoopback(remote))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            var pastDue = await ReadIsPastDueAsync(context.Request, token);
            var outcome = await runner.RunAsync(pastDue, token);
            return Results.Json(new InvocationResult(new Dictionary<string, JsonElement>(), outcome.Logs, null));
        });
    }

    /// <summary>Only <c>Data.timer.IsPastDue</c> is read, defensively: the rest of the envelope varies between hosts.</summary>
    private static async Task<bool> ReadIsPastDueAsync(HttpRequest request, CancellationToken token)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: token);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("Data", out var data) && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("timer", out var timer) && timer.ValueKind == JsonValueKind.Object
                && timer.TryGetProperty("IsPastDue", out var pastDue) && pastDue.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public sealed record InvocationResult(
        [property: JsonPropertyName("Outputs")] IReadOnlyDictionary<string, JsonElement> Outputs,
        [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
        [property: JsonPropertyName("ReturnValue")] JsonElement? ReturnValue);
}
