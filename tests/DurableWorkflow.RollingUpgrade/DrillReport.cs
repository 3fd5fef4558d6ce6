using System.Globalization;
using System.Text;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>The printed report: what ran, the traffic it carried, latency per phase and the verdict.</summary>
public static class DrillReport
{
    public static string Render(
        DrillSettings settings,
        TimeSpan duration,
        IReadOnlyList<string> steps,
        IReadOnlyList<(string Phase, DateTimeOffset At)> timeline,
        LoadClient? load,
        DrillOutcome outcome,
        IReadOnlyList<(string Label, int Exit, string Output)> verifications,
        IReadOnlyList<string> violations)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(outcome);
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"== rolling-upgrade drill{(settings.Kill ? " (fault variant: kill -9)" : string.Empty)}: {(violations.Count == 0 ? "PASS" : "FAIL")} ==");
        text.AppendLine(inv, $"old build {settings.OldBuildId} -> new build {settings.NewBuildId}; duration {duration.TotalSeconds:F0} s");
        foreach (var step in steps)
        {
            text.AppendLine(step);
        }

        text.AppendLine();
        var retries = load?.Retries ?? new Dictionary<string, int>();
        text.AppendLine(inv, $"client requests: {load?.Requests ?? 0} (starts {outcome.Acknowledged} acknowledged, signals {outcome.Signals}); failed after retries: {load?.Failures.Count ?? 0}");
        text.AppendLine(inv, $"retries: {(retries.Count == 0 ? "none" : string.Join(", ", retries.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} x{r.Value}")))}");
        text.AppendLine(inv, $"through HAProxy: {outcome.ProxiedRequests} requests (workers included); 5xx from a node in rotation: {outcome.NodeErrors.Values.Sum()}; errors HAProxy produced: {(outcome.BalancerErrors.Count == 0 ? "none" : string.Join(", ", outcome.BalancerErrors.Select(e => $"{e.Key} x{e.Value}")))}");
        text.AppendLine(inv, $"orders completed exactly once with the right result: {outcome.CompletedCorrectly}/{outcome.Acknowledged}");
        text.AppendLine(inv, $"schedule: {outcome.Schedule}");
        text.AppendLine(inv, $"claims by cohort: {string.Join(", ", outcome.ClaimsByCohort.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"))}; after their cohort's drain: {outcome.ClaimsAfterDrain}");
        foreach (var (label, exit, _) in verifications)
        {
            text.AppendLine(inv, $"rollout:verify {label}: exit {exit}");
        }

        text.AppendLine();
        text.AppendLine("latency of client requests (start + signal, retries included) by phase:");
        text.AppendLine("  phase                           n      p50 ms    p99 ms");
        var samples = load?.Latencies.ToLookup(l => l.Phase, l => l.Milliseconds);
        foreach (var phase in timeline.Select(t => t.Phase).Distinct(StringComparer.Ordinal))
        {
            var values = samples?[phase].Order().ToArray() ?? [];
            if (values.Length == 0)
            {
                continue;
            }

            text.AppendLine(inv, $"  {phase,-30} {values.Length,4} {Percentile(values, 0.50),9:F1} {Percentile(values, 0.99),9:F1}");
        }

        if (violations.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(inv, $"VIOLATIONS ({violations.Count}):");
            foreach (var violation in violations.Take(40))
            {
                text.AppendLine("  " + violation);
            }
        }

        return text.ToString();
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
