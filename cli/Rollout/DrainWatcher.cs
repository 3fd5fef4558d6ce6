using System.Globalization;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Commands;
using Spectre.Console;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>
/// <c>task-queue:drain --wait</c>: after the drain, reads the cohort until its <c>active_worker_count</c> and
/// <c>draining_worker_count</c> are both zero (rollout contract §6.7: "safe to stop the old processes"), showing the
/// counts, the namespace's leased tasks and an ETA from the observed rate; exit 0 then, 7 when the timeout passes first.
/// </summary>
public sealed class DrainWatcher(CommandContext context, string taskQueue, string? buildId, TimeSpan timeout, TimeSpan interval, TimeProvider time)
{
    private bool leasedTasksReadable = true;

    public async Task<int> RunAsync(JsonNode? drainResponse)
    {
        if (!context.Io.Interactive)
        {
            return await WatchAsync(drainResponse, line => context.Output.Error.WriteLine(line));
        }

        // On a terminal the progress is one live status line (on stderr, so stdout keeps only the result).
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Io.Error) });
        return await console.Status().StartAsync("draining…", status => WatchAsync(drainResponse, line => status.Status(Markup.Escape(line))));
    }

    private async Task<int> WatchAsync(JsonNode? drainResponse, Action<string> show)
    {
        var started = time.GetTimestamp();
        var path = $"task-queues/{CommandContext.Segment(taskQueue)}/build-ids";
        var cohort = BuildIdTable.Name(buildId is null ? null : JsonValue.Create(buildId));
        CohortCounts? first = null;
        var lastLine = string.Empty;
        while (true)
        {
            var counts = CohortCounts.From(await context.SendAsync(HttpMethod.Get, path), buildId);
            first ??= counts;
            var elapsed = time.GetElapsedTime(started);
            var leased = await LeasedTasksAsync();
            var line = Progress(cohort, counts, leased, Eta(first, counts, elapsed));
            if (line != lastLine)
            {
                show(line);
                lastLine = line;
            }

            if (counts.Live == 0)
            {
                context.Output.Line($"Cohort {cohort} on {taskQueue} is drained: no active or draining worker is left. Safe to stop the old processes.");
                if (context.Output.Mode != OutputMode.Table)
                {
                    context.Output.Write(WithWatch(drainResponse, counts, elapsed, true));
                }

                return ExitCodes.Success;
            }

            if (elapsed >= timeout)
            {
                throw new CliException(ExitCodes.Timeout,
                    string.Create(CultureInfo.InvariantCulture, $"Timed out after {timeout.TotalSeconds:0} s waiting for cohort {cohort} on {taskQueue} to drain (active {counts.Active}, draining {counts.Draining})."),
                    "drain_timeout", details: new JsonObject { ["watch"] = WithWatch(null, counts, elapsed, false)["watch"]!.DeepClone() });
            }

            var remaining = timeout - elapsed;
            await Task.Delay(remaining < interval ? remaining : interval, time, context.CancellationToken);
        }
    }

    private static string Progress(string cohort, CohortCounts counts, int? leased, TimeSpan? eta) =>
        string.Create(CultureInfo.InvariantCulture,
            $"draining {cohort}: active {counts.Active}, draining {counts.Draining}, stale {counts.Stale}, leased tasks in namespace {(leased is { } l ? l.ToString(CultureInfo.InvariantCulture) : "n/a")}, ETA {(eta is { } e ? $"{Math.Ceiling(e.TotalSeconds)} s" : "unknown")}");

    /// <summary>Remaining live workers over the rate they left at so far; unknown until one has left.</summary>
    private static TimeSpan? Eta(CohortCounts first, CohortCounts now, TimeSpan elapsed)
    {
        var gone = first.Live - now.Live;
        return gone <= 0 || elapsed <= TimeSpan.Zero ? null : TimeSpan.FromSeconds(now.Live * elapsed.TotalSeconds / gone);
    }

    /// <summary>
    /// No surface gives in-flight tasks per build id; the namespace's leased tasks from operator metrics are the closest
    /// evidence. That route needs the admin role, so an operator token simply goes without it.
    /// </summary>
    private async Task<int?> LeasedTasksAsync()
    {
        if (!leasedTasksReadable)
        {
            return null;
        }

        var response = await context.Client.SendRawAsync(HttpMethod.Get, "system/operator-metrics", cancellationToken: context.CancellationToken);
        if (!response.IsSuccess)
        {
            leasedTasksReadable = false;
            return null;
        }

        return response.Body?["operator_metrics"]?["tasks"]?["leased"] is JsonValue value && value.TryGetValue<int>(out var leased) ? leased : null;
    }

    private static JsonObject WithWatch(JsonNode? drainResponse, CohortCounts counts, TimeSpan elapsed, bool drained)
    {
        var document = drainResponse?.DeepClone() as JsonObject ?? [];
        document["watch"] = new JsonObject
        {
            ["drained"] = drained,
            ["active_worker_count"] = counts.Active,
            ["draining_worker_count"] = counts.Draining,
            ["stale_worker_count"] = counts.Stale,
            ["elapsed_seconds"] = Math.Round(elapsed.TotalSeconds, 1),
        };
        return document;
    }
}
