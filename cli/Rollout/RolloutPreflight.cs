using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>
/// Before a rollout: every node's control-plane and worker-protocol ranges must overlap (rollout contract §2.1–2.3), and
/// a planned drain of a build must leave each open run a live, non-draining, compatible worker (marker §5.3 and
/// recorded fingerprint §7.3). Returns the findings that refuse the rollout and the list of what was checked.
/// </summary>
public sealed class RolloutPreflight(ConnectionSettings settings, IReadOnlyList<Uri> nodes, string newBuild, string? drainBuild, IReadOnlyList<string> queues, int maxRuns, TimeProvider time)
{
    public List<string> Checked { get; } = [];

    public async Task<IReadOnlyList<PreflightFinding>> RunAsync(CancellationToken cancellationToken)
    {
        var findings = new List<PreflightFinding>();
        await RangesAsync(findings, cancellationToken);
        if (drainBuild is not null)
        {
            using var client = new ServerClient(settings.ForNode(nodes[0]));
            await DrainSafetyAsync(client, findings, cancellationToken);
        }
        else
        {
            Checked.Add("drain safety: not checked (no --drain given)");
        }

        return findings;
    }

    private async Task RangesAsync(List<PreflightFinding> findings, CancellationToken cancellationToken)
    {
        var advertised = new List<(string Node, string? ControlPlane, string? WorkerProtocol)>();
        foreach (var node in nodes)
        {
            using var client = new ServerClient(settings.ForNode(node));
            var (response, error) = await NodeSnapshot.TryAsync(client, "cluster/info", cancellationToken);
            if (response is not { IsSuccess: true } || response.Body is not JsonObject info)
            {
                findings.Add(new("node_unreachable", $"cluster info unavailable: {error ?? (response is null ? "no answer" : ServerClient.ErrorFor(response).Message)}",
                    new JsonObject { ["node"] = node.AbsoluteUri }));
                continue;
            }

            advertised.Add((node.Authority, JsonRead.Text(info, "control_plane.version"), JsonRead.Text(info, "worker_protocol.version")));
        }

        Checked.Add($"protocol ranges of {advertised.Count} node(s): " + string.Join("; ", advertised.Select(a => $"{a.Node} control_plane {a.ControlPlane ?? "?"}, worker_protocol {a.WorkerProtocol ?? "?"}")));
        if (advertised.Count == 0)
        {
            return;
        }

        // The control plane accepts exactly one version, so its "range" overlaps only on equality (§2.2).
        var controlPlanes = advertised.Select(a => a.ControlPlane ?? "missing").Distinct(StringComparer.Ordinal).ToList();
        if (controlPlanes.Count > 1)
        {
            findings.Add(new("control_plane_range", $"control_plane.version differs across nodes ({string.Join(", ", controlPlanes)}); the accepted sets do not overlap",
                Versions(advertised.Select(a => (a.Node, a.ControlPlane)))));
        }

        // Worker-protocol sets {MAJOR.0 .. MAJOR.MINOR} overlap iff the majors agree (§2.3).
        var majors = advertised.Select(a => a.WorkerProtocol?.Split('.')[0] ?? "missing").Distinct(StringComparer.Ordinal).ToList();
        if (majors.Count > 1 || majors.Contains("missing"))
        {
            findings.Add(new("worker_protocol_range", $"worker_protocol.version majors differ across nodes ({string.Join(", ", advertised.Select(a => a.WorkerProtocol ?? "missing").Distinct(StringComparer.Ordinal))}); no worker version is accepted by all",
                Versions(advertised.Select(a => (a.Node, a.WorkerProtocol)))));
        }
    }

    private static JsonObject Versions(IEnumerable<(string Node, string? Version)> versions) => new()
    {
        ["nodes"] = new JsonObject(versions.Select(v => KeyValuePair.Create(v.Node, (JsonNode?)JsonValue.Create(v.Version)))),
    };

    private async Task DrainSafetyAsync(ServerClient client, List<PreflightFinding> findings, CancellationToken cancellationToken)
    {
        var runs = await OpenRunsAsync(client, cancellationToken);
        var workersByQueue = new Dictionary<string, (int StaleAfter, List<LiveWorker> Workers)>(StringComparer.Ordinal);
        var fingerprintsSeen = 0;
        var now = time.GetUtcNow();
        foreach (var run in runs)
        {
            var queue = JsonRead.Text(run, "task_queue") ?? "default";
            if (!workersByQueue.TryGetValue(queue, out var fleet))
            {
                var listing = await client.SendAsync(HttpMethod.Get, "workers", new QueryString().Add("task_queue", queue), cancellationToken: cancellationToken);
                fleet = ((int)(JsonRead.Number(listing, "stale_after_seconds") ?? 60),
                    [.. (listing?["workers"] as JsonArray ?? []).OfType<JsonObject>()
                        .Where(w => (JsonRead.Text(w, "task_queue") ?? queue) == queue).Select(LiveWorker.From)]);
                workersByQueue[queue] = fleet;
            }

            var detail = run;
            if (!run.ContainsKey("compatibility"))
            {
                detail = await client.SendAsync(HttpMethod.Get,
                    $"workflows/{Uri.EscapeDataString(JsonRead.Text(run, "workflow_id") ?? string.Empty)}/runs/{Uri.EscapeDataString(JsonRead.Text(run, "run_id") ?? string.Empty)}",
                    cancellationToken: cancellationToken) as JsonObject ?? run;
            }

            var type = JsonRead.Text(detail, "workflow_type") ?? string.Empty;
            var marker = detail["compatibility"] is JsonValue m ? m.ToString() : null;
            var fingerprint = detail["workflow_definition_fingerprint"] is JsonValue f ? f.ToString() : null;
            fingerprintsSeen += detail.ContainsKey("workflow_definition_fingerprint") ? 1 : 0;
            var remaining = fleet.Workers.Where(w => w.BuildId != drainBuild && w.IsLiveNonDraining(now, fleet.StaleAfter)).ToList();
            if (!remaining.Any(w => w.CanServe(type, marker, fingerprint)))
            {
                findings.Add(new("unsafe_drain",
                    $"after draining {drainBuild}, no live non-draining worker on {queue} can serve this run ({Describe(remaining)})",
                    new JsonObject
                    {
                        ["workflow_id"] = JsonRead.Text(detail, "workflow_id"),
                        ["run_id"] = JsonRead.Text(detail, "run_id"),
                        ["workflow_type"] = type,
                        ["task_queue"] = queue,
                        ["compatibility"] = marker,
                        ["workflow_definition_fingerprint"] = fingerprint,
                    }));
            }
        }

        Checked.Add($"drain safety of {drainBuild}: {runs.Count} open run(s) on {workersByQueue.Count} queue(s) against live non-draining workers other than {drainBuild} (new build {newBuild}: "
            + string.Join(", ", workersByQueue.Select(q => $"{q.Key} {q.Value.Workers.Count(w => w.BuildId == newBuild && w.IsLiveNonDraining(now, q.Value.StaleAfter))} live")) + ")");
        Checked.Add(fingerprintsSeen == 0
            ? "fingerprints: the server exposes no recorded workflow_definition_fingerprint on runs, so only markers and workflow types were matched"
            : $"fingerprints: matched on {fingerprintsSeen} run(s) that expose workflow_definition_fingerprint");
    }

    private static string Describe(List<LiveWorker> remaining) =>
        remaining.Count == 0 ? "none left" : string.Join(", ", remaining.Select(w => $"{w.WorkerId}@{w.BuildId ?? "(unversioned)"}"));

    private async Task<List<JsonObject>> OpenRunsAsync(ServerClient client, CancellationToken cancellationToken)
    {
        var runs = new List<JsonObject>();
        string? token = null;
        do
        {
            var page = await client.SendAsync(HttpMethod.Get, "workflows",
                new QueryString().Add("status", "running").Add("page_size", 200).Add("next_page_token", token), cancellationToken: cancellationToken);
            runs.AddRange((page?["workflows"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(r => queues.Count == 0 || queues.Contains(JsonRead.Text(r, "task_queue") ?? "default")));
            token = JsonRead.Text(page, "next_page_token") is { Length: > 0 } next && next != "null" ? next : null;
        }
        while (token is not null && runs.Count < maxRuns);

        if (token is not null)
        {
            Checked.Add($"open runs: stopped after {runs.Count} (--max-runs); later runs were not checked");
        }

        return runs;
    }
}
