using System.Net;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Fixtures;

public static class HttpAssert
{
    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? string.Empty, StringComparison.Ordinal);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> ErrorAsync(HttpResponseMessage response, HttpStatusCode expected, string reason)
    {
        var body = await JsonAsync(response, expected);
        Assert.Equal(reason, (string?)body["reason"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"] ?? (string?)body["error"]), "error without message");
        return body;
    }

    /// <summary>Polls until the condition holds or the deadline passes; the last observation is in the failure message.</summary>
    public static async Task EventuallyAsync(Func<Task<(bool Done, string Observed)>> probe, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var deadline = DateTime.UtcNow + timeout;
        var observed = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            (var done, observed) = await probe();
            if (done)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"Condition not reached within {timeout.TotalSeconds} s; last observed: {observed}");
    }
}
