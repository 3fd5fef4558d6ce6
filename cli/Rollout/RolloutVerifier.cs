using System.Globalization;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>
/// The rolling-upgrade operator verification as rows: per node, bootstrap finished, ready with the expected build and
/// compatibility admission healthy; cluster-wide, worker drains progressing, routing safe, scheduler caught up and stuck
/// runs not above the baseline. Keys are read by name; a key the server does not expose fails its row, saying so.
/// </summary>
public sealed class RolloutVerifier(ConnectionSettings settings, IReadOnlyList<Uri> nodes, string? expectBuild, long baselineRepairNeeded, IReadOnlyList<string> extraQueues)
{
    /// <summary>How long a schedule may be overdue and still count as a tick in progress rather than a missed one.</summary>
    private const long MomentaryOverdueMs = 10_000;

    public async Task<IReadOnlyList<VerificationRow>> RunAsync(CancellationToken cancellationToken)
    {
        var snapshots = await Task.WhenAll(nodes.Select(n => NodeSnapshot.ReadAsync(settings.ForNode(n), withMetrics: true, cancellationToken)));
        var rows = new List<VerificationRow>();
        rows.AddRange(snapshots.Select(Bootstrap));
        rows.AddRange(snapshots.Select(ReadyAndBuild));
        rows.AddRange(snapshots.Select(Admission));

        var primary = snapshots.FirstOrDefault(s => s.Metrics is not null);
        using var client = new ServerClient(primary is null ? settings : settings.ForNode(primary.Node));
        rows.Add(await DrainAsync(client, primary, cancellationToken));
        rows.Add(await RoutingAsync(client, primary, cancellationToken));
        rows.Add(Scheduler(primary));
        rows.Add(StuckRuns(primary));
        return rows;
    }

    private static VerificationRow Bootstrap(NodeSnapshot node)
    {
        const string question = "Bootstrap finished (no pending migration)?";
        if (node.Ready is null)
        {
            return new("bootstrap", question, node.Name, false, $"unreachable: {node.ReadyError}");
        }

        var status = JsonRead.Text(node.Ready.Body, "checks.migrations.status");
        var detail = JsonRead.Text(node.Ready.Body, "checks.migrations.message") ?? JsonRead.Text(node.Ready.Body, "checks.migrations.pending");
        return new("bootstrap", question, node.Name, status == "ok",
            $"/api/ready checks.migrations.status = {status ?? "not exposed"}{(detail is null ? string.Empty : $" ({detail})")}");
    }

    private VerificationRow ReadyAndBuild(NodeSnapshot node)
    {
        const string question = "Node ready and advertising the expected build?";
        if (node.Ready is null)
        {
            return new("node-ready", question, node.Name, false, $"unreachable: {node.ReadyError}");
        }

        var readyStatus = JsonRead.Text(node.Ready.Body, "status") ?? "?";
        var ready = node.Ready.Status == 200 && readyStatus == "ready";
        var build = JsonRead.Text(node.ClusterInfo, "server_build_id");
        var buildOk = expectBuild is null || build == expectBuild;
        var evidence = $"/api/ready {node.Ready.Status} ({readyStatus}); server_build_id = {build ?? node.ClusterInfoError ?? "not exposed"}"
            + (expectBuild is null ? string.Empty : $", expected {expectBuild}");
        return new("node-ready", question, node.Name, ready && buildOk && build is not null, evidence);
    }

    private static VerificationRow Admission(NodeSnapshot node)
    {
        const string question = "Compatibility admission healthy (live supporters for the required marker)?";
        if (node.Metrics is null)
        {
            return new("compatibility-admission", question, node.Name, false, $"operator metrics unavailable: {node.MetricsError}");
        }

        if (!JsonRead.TryGet(node.Metrics, "workers.required_compatibility", out var required))
        {
            return new("compatibility-admission", question, node.Name, false, "workers.required_compatibility not exposed");
        }

        var marker = required is JsonValue value ? value.ToString() : null;
        var supporters = JsonRead.Number(node.Metrics, "workers.active_workers_supporting_required");
        var active = JsonRead.Number(node.Metrics, "workers.active_workers");
        return string.IsNullOrEmpty(marker)
            ? new("compatibility-admission", question, node.Name, true, $"no marker required; active_workers = {JsonRead.Show(active)}")
            : new("compatibility-admission", question, node.Name, supporters > 0,
                $"required_compatibility = {marker}; active_workers_supporting_required = {JsonRead.Show(supporters)} of {JsonRead.Show(active)}");
    }

    private async Task<VerificationRow> DrainAsync(ServerClient client, NodeSnapshot? primary, CancellationToken cancellationToken)
    {
        const string question = "Worker drains progressing (drained cohorts take no work and a live cohort remains)?";
        if (primary is null)
        {
            return new("worker-drain", question, null, false, "no node answered operator metrics");
        }

        var queues = (primary.ClusterInfo?["worker_fleet"]?["queues"] as JsonArray ?? [])
            .Select(q => q?.ToString()).OfType<string>().Concat(extraQueues).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var evidence = new List<string>();
        var passed = true;
        foreach (var queue in queues)
        {
            var (response, error) = await NodeSnapshot.TryAsync(client, $"task-queues/{Uri.EscapeDataString(queue)}/build-ids", cancellationToken);
            if (response is not { IsSuccess: true })
            {
                passed = false;
                evidence.Add($"{queue}: cohorts unavailable ({error ?? ServerClient.ErrorFor(response!).Message})");
                continue;
            }

            var listing = response.Body;
            var cohorts = (listing?["build_ids"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var draining = cohorts.Where(c => JsonRead.Text(c, "drain_intent") == "draining").ToList();
            if (draining.Count == 0)
            {
                continue;
            }

            var liveTakers = cohorts.Where(c => JsonRead.Text(c, "drain_intent") != "draining").Sum(c => JsonRead.Number(c, "active_worker_count") ?? 0);
            foreach (var cohort in draining)
            {
                var active = JsonRead.Number(cohort, "active_worker_count") ?? 0;
                var stillDraining = JsonRead.Number(cohort, "draining_worker_count") ?? 0;
                var ok = active == 0 && (stillDraining == 0 || liveTakers > 0);
                passed &= ok;
                evidence.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{queue}: {BuildIdTable.Name(cohort["build_id"])} draining (active {active}, draining {stillDraining}, stale {JsonRead.Number(cohort, "stale_worker_count") ?? 0}); live takers {liveTakers}{(ok ? string.Empty : " ← stuck")}"));
            }
        }

        return new("worker-drain", question, null, passed,
            evidence.Count == 0 ? $"no cohort is draining on {(queues.Count == 0 ? "any live queue" : string.Join(", ", queues))}" : string.Join("; ", evidence));
    }

    private static async Task<VerificationRow> RoutingAsync(ServerClient client, NodeSnapshot? primary, CancellationToken cancellationToken)
    {
        const string question = "Routing safe (no compatibility-blocked backlog, worker_compatibility not in error)?";
        if (primary is null)
        {
            return new("routing", question, null, false, "no node answered operator metrics");
        }

        var blocked = JsonRead.Number(primary.Metrics, "backlog.compatibility_blocked_runs");
        var age = JsonRead.Number(primary.Metrics, "backlog.max_compatibility_blocked_age_ms");
        var (health, healthError) = await NodeSnapshot.TryAsync(client, "system/health", cancellationToken);
        var check = (health?.Body?["checks"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => JsonRead.Text(c, "name") == "worker_compatibility");
        var compatibility = check is null ? null : JsonRead.Text(check, "status");
        var passed = blocked == 0 && compatibility is not null && compatibility != "error";
        return new("routing", question, null, passed,
            $"compatibility_blocked_runs = {JsonRead.Show(blocked)} (max age {JsonRead.Show(age)} ms); worker_compatibility = {compatibility ?? healthError ?? "not exposed"}");
    }

    private static VerificationRow Scheduler(NodeSnapshot? primary)
    {
        const string question = "Scheduler caught up (nothing missed or overdue)?";
        if (primary is null)
        {
            return new("scheduler", question, null, false, "no node answered operator metrics");
        }

        var missed = JsonRead.Number(primary.Metrics, "schedules.missed");
        var hasOverdue = JsonRead.TryGet(primary.Metrics, "schedules.oldest_overdue_at", out var overdue);
        var overdueMs = JsonRead.Number(primary.Metrics, "schedules.max_overdue_ms");

        // A schedule is overdue from its occurrence until the tick that fires it, so a short-interval schedule shows
        // missed > 0 for a moment every interval (rollout contract §9.6 calls that normal); only a longer overdue is
        // a scheduler that has not caught up.
        var passed = (missed == 0 && hasOverdue && overdue is null) || (missed > 0 && overdueMs is { } ms && ms <= MomentaryOverdueMs);
        return new("scheduler", question, null, passed,
            $"schedules.missed = {JsonRead.Show(missed)}; oldest_overdue_at = {(hasOverdue ? overdue?.ToString() ?? "null" : "not exposed")}; " +
            $"max_overdue_ms = {JsonRead.Show(overdueMs)} (up to {MomentaryOverdueMs} ms is a tick in progress)");
    }

    private VerificationRow StuckRuns(NodeSnapshot? primary)
    {
        const string question = "Stuck runs not piling up (repair_needed within the baseline)?";
        if (primary is null)
        {
            return new("stuck-runs", question, null, false, "no node answered operator metrics");
        }

        var repairNeeded = JsonRead.Number(primary.Metrics, "runs.repair_needed");
        return new("stuck-runs", question, null, repairNeeded is { } n && n <= baselineRepairNeeded,
            string.Create(CultureInfo.InvariantCulture, $"runs.repair_needed = {JsonRead.Show(repairNeeded)} (baseline {baselineRepairNeeded}); oldest {JsonRead.Text(primary.Metrics, "runs.oldest_repair_needed_at") ?? "null"}"));
    }
}
