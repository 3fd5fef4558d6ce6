using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>
/// The rolling-upgrade drill (issue 13): the seed's clustered shape on one machine, rolled from the old build to the
/// new one under load across the newest migration, then partly rolled back. Every step of the runbook is a method
/// here; <see cref="DrillChecks"/> holds what is asserted afterwards and <see cref="DrillReport"/> what is printed.
/// </summary>
public sealed class Drill(DrillSettings settings) : IAsyncDisposable
{
    public const string Queue = "drill";
    public const string ScheduleId = "drill-every-second";
    private const string Token = "drill-admin-token";
    private static readonly string[] NodeNames = ["n1", "n2", "n3"];

    private readonly Dictionary<string, (ChildProcess Process, int Port, string Build)> nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ChildProcess>> cohorts = new(StringComparer.Ordinal);
    private readonly List<(string Phase, DateTimeOffset At)> timeline = [];
    private readonly List<string> steps = [];
    private readonly List<string> violations = [];
    private readonly List<(string Cohort, DateTimeOffset From, DateTimeOffset? Until)> drainWindows = [];
    private readonly List<(string Label, int Exit, string Output)> verifications = [];
    private readonly List<(string WorkflowId, int Number)> acknowledged = [];
    private readonly List<string> signalled = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private (ChildProcess Process, int Port, string Build)? scheduler;
    private HaProxy? proxy;
    private LoadClient? load;
    private DateTimeOffset scheduleCreatedAt;
    private DateTimeOffset loadStoppedAt;
    private int workerSerial;

    private string Log(string name) => Path.Combine(settings.StateDirectory, name + ".log");

    public async Task<int> RunAsync()
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(settings.BudgetSeconds));
        var ct = budget.Token;
        Step($"drill: old build {settings.OldBuildId}, new build {settings.NewBuildId}{(settings.Kill ? ", fault variant (kill -9 of n2)" : string.Empty)}");
        try
        {
            await SetUpAsync(ct);
            using var loadStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var traffic = TrafficAsync(loadStop.Token);

            await PhaseAsync("before", TimeSpan.FromSeconds(6), ct);
            Enter("bootstrap (new)");
            await BootstrapAsync(settings.NewRoot, "bootstrap-new", ct);
            Step("new bootstrapper migrated the schema while the old nodes served");
            await PhaseAsync("after bootstrap", TimeSpan.FromSeconds(3), ct);

            foreach (var name in NodeNames)
            {
                var kill = settings.Kill && name == "n2";
                await ReplaceNodeAsync(name, settings.NewRoot, settings.NewBuildId, kill, ct);
                await PhaseAsync($"after {name}", TimeSpan.FromSeconds(3), ct);
            }

            await RollCohortAsync(from: "old", to: "new", LoadBalancerUrl, resumeTarget: false, ct);
            await RollSchedulerAsync(ct);
            await PhaseAsync("after roll", TimeSpan.FromSeconds(3), ct);
            await VerifyAsync("roll", [.. NodeNames.Select(n => (n, settings.NewBuildId))], ct);

            await ReplaceNodeAsync("n3", settings.OldRoot, settings.OldBuildId, kill: false, ct);
            var cohortTarget = await CohortApiTargetAsync("n3", ct);
            await RollCohortAsync(from: "new", to: "old", cohortTarget, resumeTarget: true, ct);
            await PhaseAsync("after rollback", TimeSpan.FromSeconds(4), ct);
            await VerifyAsync("rollback", [("n1", settings.NewBuildId), ("n2", settings.NewBuildId), ("n3", settings.OldBuildId)], ct);

            Enter("drain load");
            loadStoppedAt = DateTimeOffset.UtcNow;
            await loadStop.CancelAsync();
            await traffic;
            await WaitAllCompletedAsync(ct);
            Enter("done");
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or OperationCanceledException or HttpRequestException or IOException)
        {
            violations.Add($"drill aborted in phase '{timeline[^1].Phase}': {ex.GetType().Name}: {ex.Message}");
            if (loadStoppedAt == default)
            {
                loadStoppedAt = DateTimeOffset.UtcNow;
            }

            load?.Abort();
        }

        Enter("stop everything");
        await StopEverythingAsync();
        Enter("checks");
        var checks = new DrillChecks(settings, violations);
        var outcome = await checks.RunAsync(load, proxy, acknowledged, signalled, drainWindows, scheduleCreatedAt, loadStoppedAt, CancellationToken.None);
        var report = DrillReport.Render(settings, clock.Elapsed, steps, timeline, load, outcome, verifications, violations);
        Console.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(settings.StateDirectory, "report.txt"), report);
        return violations.Count == 0 ? 0 : 1;
    }

    private Uri LoadBalancerUrl => proxy!.Address;

    private async Task SetUpAsync(CancellationToken ct)
    {
        Enter("set-up");
        await BootstrapAsync(settings.OldRoot, "bootstrap-old", ct);
        var starts = new List<Task>();
        foreach (var name in NodeNames)
        {
            var port = ServerHost.FreeTcpPort();
            starts.Add(StartNodeAsync(name, port, settings.OldRoot, settings.OldBuildId, ct));
        }

        var schedulerPort = ServerHost.FreeTcpPort();
        starts.Add(StartSchedulerAsync(schedulerPort, settings.OldRoot, settings.OldBuildId, ct));
        await Task.WhenAll(starts);
        proxy = await HaProxy.StartAsync(settings.StateDirectory, ServerHost.FreeTcpPort(), [.. NodeNames.Select(n => (n, nodes[n].Port))], ct);
        foreach (var name in NodeNames)
        {
            await proxy.WaitStatusAsync(name, "UP", TimeSpan.FromSeconds(20), ct);
        }

        Step($"3 old API nodes behind HAProxy :{proxy.Port}, old scheduler, old bootstrap");
        load = new LoadClient(LoadBalancerUrl, Token);
        cohorts["old"] = StartCohort("old");
        await WaitCohortsActiveAsync(LoadBalancerUrl, ["old"], ct);

        var schedule = new JsonObject
        {
            ["schedule_id"] = ScheduleId,
            ["spec"] = new JsonObject { ["intervals"] = new JsonArray(new JsonObject { ["every"] = "PT1S" }) },
            ["action"] = new JsonObject
            {
                ["workflow_type"] = DrillWorker.TickWorkflow,
                ["task_queue"] = Queue,
                ["input"] = Payloads.Arguments("tick"),
            },
            ["overlap_policy"] = "allow_all",
        };
        scheduleCreatedAt = DateTimeOffset.UtcNow;
        var created = await load.SendAsync("create schedule", c => load.Client.SendAsync(HttpMethod.Post, "/api/schedules", schedule, c), [200, 201], ct)
            ?? throw new InvalidOperationException("The schedule could not be created.");
        Step($"schedule {ScheduleId} every PT1S: {created.StatusCode}");
    }

    private async Task TrafficAsync(CancellationToken stop)
    {
        var pending = new List<Task>();
        var number = 0;
        while (!stop.IsCancellationRequested)
        {
            var n = ++number;
            pending.Add(OneOrderAsync(n));
            try
            {
                await Task.Delay(1000, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(pending);
    }

    /// <summary>One order: start, then 1 s later its signal (never cancelled half-way, so every ack is followed up).</summary>
    private async Task OneOrderAsync(int number)
    {
        var id = $"drill-{number:D5}";
        if (await load!.StartAsync(id, number, CancellationToken.None) is null)
        {
            return;
        }

        lock (acknowledged)
        {
            acknowledged.Add((id, number));
        }

        await Task.Delay(1000);
        if (await load.SignalAsync(id, CancellationToken.None) is not null)
        {
            lock (signalled)
            {
                signalled.Add(id);
            }
        }
    }

    private async Task BootstrapAsync(string root, string label, CancellationToken ct)
    {
        await using var child = ChildProcess.Start(label, "dotnet", [settings.BootstrapDll(root)],
            new Dictionary<string, string?> { ["DW_DB_CONNECTION"] = settings.Postgres }, Log(label));
        if (!await child.WaitExitedAsync(TimeSpan.FromSeconds(120), ct) || child.ExitCode != 0)
        {
            throw new InvalidOperationException($"{label} failed or did not finish within 120 s; see {Log(label)}");
        }
    }

    private Dictionary<string, string?> ServerEnvironment(string id, string build, bool scheduler) => new()
    {
        ["DW_DB_CONNECTION"] = settings.Postgres,
        ["DW_REDIS_CONNECTION"] = settings.Redis,
        ["DW_AUTH_DRIVER"] = "token",
        ["DW_AUTH_TOKEN"] = Token,
        ["DW_SERVER_ID"] = id,
        // Both builds would otherwise advertise the same assembly version; the gate needs distinct identities.
        ["DW_SERVER_BUILD_ID"] = build,
        ["DW_V2_MULTI_NODE"] = "true",
        ["DW_SCHEDULER_ENABLED"] = scheduler ? "true" : "false",
        // The runbook's scheduler swap leaves a gap; the new scheduler replays its occurrences (an old build ignores it).
        ["DW_SCHEDULE_CATCHUP_WINDOW_SECONDS"] = "120",
        ["DW_WORKER_POLL_TIMEOUT"] = DrillWorker.PollSeconds.ToString(CultureInfo.InvariantCulture),
        ["DW_DB_MAX_POOL_SIZE"] = "10",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private async Task StartNodeAsync(string name, int port, string root, string build, CancellationToken ct)
    {
        var child = ChildProcess.Start(name, "dotnet", [settings.ServerDll(root), "--urls", Url(port).ToString().TrimEnd('/')],
            ServerEnvironment(name, build, scheduler: false), Log(name));
        nodes[name] = (child, port, build);
        await WaitNodeAsync(name, port, build, child, ct);
    }

    private async Task StartSchedulerAsync(int port, string root, string build, CancellationToken ct)
    {
        var child = ChildProcess.Start("scheduler", "dotnet", [settings.ServerDll(root), "--urls", Url(port).ToString().TrimEnd('/')],
            ServerEnvironment("scheduler", build, scheduler: true), Log("scheduler"));
        scheduler = (child, port, build);
        await WaitNodeAsync("scheduler", port, build, child, ct);
    }

    private static Uri Url(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The runbook's gate: <c>/api/ready</c> 200 and the expected <c>server_build_id</c> in cluster info.</summary>
    private async Task WaitNodeAsync(string name, int port, string build, ChildProcess child, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(120);
        var last = "no answer";
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {child.ExitCode} before it was ready; see {Log(name)}");
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(Url(port), "api/ready"), ct);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url(port), "api/cluster/info"));
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                    using var info = await http.SendAsync(request, ct);
                    var advertised = (string?)JsonNode.Parse(await info.Content.ReadAsStringAsync(ct))?["server_build_id"];
                    if (advertised == build)
                    {
                        return;
                    }

                    last = $"server_build_id {advertised}";
                }
                else
                {
                    last = $"/api/ready {(int)ready.StatusCode}";
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(200, ct);
        }

        throw new TimeoutException($"{name} not ready with build {build} within 120 s (last: {last}); see {Log(name)}");
    }

    /// <summary>
    /// One API node replaced: out of rotation (maint), in-flight requests and parked long-polls finish (HAProxy shows
    /// no session on it), SIGTERM, start the other build on the same port, gate on ready + build id, back in rotation.
    /// The fault variant kills it with SIGKILL instead and leaves taking it out to the health check.
    /// </summary>
    private async Task ReplaceNodeAsync(string name, string root, string build, bool kill, CancellationToken ct)
    {
        Enter($"replace {name} -> {(build == settings.NewBuildId ? "new" : "old")}");
        var watch = Stopwatch.StartNew();
        var (process, port, _) = nodes[name];
        string how;
        if (kill)
        {
            process.KillHard();
            await proxy!.WaitStatusAsync(name, "DOWN", TimeSpan.FromSeconds(15), ct);
            how = $"kill -9, HAProxy marked it DOWN after {watch.Elapsed.TotalSeconds:F1} s";
        }
        else
        {
            await proxy!.SetStateAsync(name, "maint", ct);
            var deadline = DateTimeOffset.UtcNow.AddSeconds(DrillWorker.PollSeconds + 15);
            int sessions;
            while ((sessions = (await proxy.ServerStatAsync(name, ct)).Sessions) > 0 && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }

            how = $"maint, sessions drained to {sessions} in {watch.Elapsed.TotalSeconds:F1} s";
            await process.StopAsync(TimeSpan.FromSeconds(20));
        }

        await process.DisposeAsync();
        var stopped = watch.Elapsed;
        await StartNodeAsync(name, port, root, build, ct);
        var readyAt = watch.Elapsed;
        if (!kill)
        {
            await proxy.SetStateAsync(name, "ready", ct);
        }

        await proxy.WaitStatusAsync(name, "UP", TimeSpan.FromSeconds(20), ct);
        Step(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {how}; stopped at {stopped.TotalSeconds:F1} s; ready with {build} at {readyAt.TotalSeconds:F1} s; UP in HAProxy at {watch.Elapsed.TotalSeconds:F1} s"));
    }

    private List<ChildProcess> StartCohort(string build)
    {
        var members = new List<ChildProcess>();
        for (var i = 0; i < 2; i++)
        {
            var name = $"worker-{build}-{++workerSerial}";
            members.Add(ChildProcess.Start(name, "dotnet",
                [typeof(Drill).Assembly.Location, "worker", "--server", LoadBalancerUrl.ToString().TrimEnd('/'), "--token", Token, "--queue", Queue,
                 "--build-id", build, "--claims", Path.Combine(settings.StateDirectory, $"claims-{name}.log"), "--workflow-loops", "2"],
                new Dictionary<string, string?>(), Log(name)));
        }

        return members;
    }

    /// <summary>
    /// The worker roll: <paramref name="to"/> online (resumed first when it is a rollback), both cohorts active, drain
    /// <paramref name="from"/> (the ack time opens its no-claims window), <c>drain --wait</c>, stop its processes.
    /// </summary>
    private async Task RollCohortAsync(string from, string to, Uri cohortApi, bool resumeTarget, CancellationToken ct)
    {
        Enter($"workers {from} -> {to}");
        if (resumeTarget)
        {
            await CliAsync($"resume {to}", cohortApi, ["task-queue:resume", Queue, "--build-id", to], expectExit: 0, ct);
            CloseDrainWindow(to);
        }

        cohorts[to] = StartCohort(to);
        await WaitCohortsActiveAsync(cohortApi, [from, to], ct);
        await CliAsync($"drain {from}", cohortApi, ["task-queue:drain", Queue, "--build-id", from], expectExit: 0, ct);
        drainWindows.Add((from, DateTimeOffset.UtcNow, null));
        await CliAsync($"drain {from} --wait", cohortApi, ["task-queue:drain", Queue, "--build-id", from, "--wait", "--timeout", "60s", "--poll-interval", "1s"], expectExit: 0, ct);
        foreach (var member in cohorts[from])
        {
            await member.StopAsync(TimeSpan.FromSeconds(15));
            await member.DisposeAsync();
        }

        cohorts.Remove(from);
        Step($"workers: {to} active, {from} drained (drain --wait exit 0) and stopped");
    }

    private void CloseDrainWindow(string cohort)
    {
        var index = drainWindows.FindIndex(w => w.Cohort == cohort && w.Until is null);
        if (index >= 0)
        {
            drainWindows[index] = drainWindows[index] with { Until = DateTimeOffset.UtcNow };
        }
    }

    /// <summary>
    /// Reads <c>GET /api/task-queues/{q}/build-ids</c> (what <c>dw task-queue:build-ids</c> prints, without the CLI's
    /// 5 s cluster-info preflight that a loaded node can miss) until every named cohort reports <c>active</c>. A build
    /// that predates that route (404) is read through <c>GET /api/workers</c>: a registration of the build that is active.
    /// </summary>
    private async Task WaitCohortsActiveAsync(Uri cohortApi, string[] builds, CancellationToken ct)
    {
        using var client = new ControlClient(cohortApi, Token);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        var last = string.Empty;
        var byWorkers = false;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                var response = await client.SendAsync(HttpMethod.Get, byWorkers ? $"/api/workers?task_queue={Queue}" : $"/api/task-queues/{Queue}/build-ids", null, ct);
                if (response.StatusCode == 404 && !byWorkers)
                {
                    byWorkers = true;
                    continue;
                }

                if (response.StatusCode == 200)
                {
                    var doc = response.Json;
                    var states = byWorkers
                        ? (doc["workers"] as JsonArray ?? []).OfType<JsonObject>()
                            .GroupBy(w => (string?)w["build_id"] ?? "(unversioned)")
                            .ToDictionary(g => g.Key, g => g.Any(w => (string?)w["status"] == "active") ? "active" : (string?)g.First()["status"])
                        : (doc["build_ids"] as JsonArray ?? []).OfType<JsonObject>()
                            .ToDictionary(b => (string?)b["build_id"] ?? "(unversioned)", b => (string?)b["rollout_status"]);
                    if (builds.All(b => states.GetValueOrDefault(b) == "active"))
                    {
                        Step($"{(byWorkers ? "GET /api/workers" : "GET /api/task-queues/{q}/build-ids")}: {string.Join(", ", builds.Select(b => $"{b}=active"))}");
                        return;
                    }

                    last = string.Join(", ", states.Select(s => $"{s.Key}={s.Value}"));
                }
                else
                {
                    last = response.ToString();
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or WireException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                last = ex.Message;
            }

            await Task.Delay(500, ct);
        }

        throw new TimeoutException($"cohorts {string.Join(", ", builds)} not all active within 90 s (last: {last})");
    }

    private async Task RollSchedulerAsync(CancellationToken ct)
    {
        Enter("scheduler old -> new");
        var (process, port, _) = scheduler!.Value;
        var watch = Stopwatch.StartNew();
        await process.StopAsync(TimeSpan.FromSeconds(20));
        await process.DisposeAsync();
        var stopped = watch.Elapsed;
        await StartSchedulerAsync(port, settings.NewRoot, settings.NewBuildId, ct);
        Step(string.Create(CultureInfo.InvariantCulture,
            $"scheduler: old stopped (SIGTERM) in {stopped.TotalSeconds:F1} s, new ready at {watch.Elapsed.TotalSeconds:F1} s (no overlap)"));
    }

    /// <summary>
    /// Where cohort commands go while <paramref name="oldNode"/> (old build) is in rotation: through the load balancer
    /// when the old build serves the build-id routes, else to a new-build node directly (the old build predates them).
    /// </summary>
    private async Task<Uri> CohortApiTargetAsync(string oldNode, CancellationToken ct)
    {
        if (await ServesAsync(oldNode, $"api/task-queues/{Queue}/build-ids", ct))
        {
            return LoadBalancerUrl;
        }

        Step($"rollback: the old build on {oldNode} has no /api/task-queues/{{q}}/build-ids; cohort commands go to n1 directly");
        return Url(nodes["n1"].Port);
    }

    private async Task<bool> ServesAsync(string node, string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url(nodes[node].Port), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.Add("X-Durable-Workflow-Control-Plane-Version", "2");
        using var response = await http.SendAsync(request, ct);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>
    /// <c>dw rollout:verify</c> per expected build. A node whose build does not serve the operator surfaces the command
    /// reads (an old build that predates them) is held to the rows it can answer: bootstrap and node-ready.
    /// </summary>
    private async Task VerifyAsync(string label, (string Node, string Build)[] expected, CancellationToken ct)
    {
        Enter($"verify ({label})");
        foreach (var group in expected.GroupBy(e => e.Build))
        {
            var args = new List<string> { "rollout:verify", "--expect-build", group.Key, "--task-queue", Queue };
            foreach (var (node, _) in group)
            {
                args.AddRange(["--node", Url(nodes[node].Port).ToString().TrimEnd('/')]);
            }

            var (exit, output) = await RunCliAsync(LoadBalancerUrl, args, ct);
            var names = string.Join(",", group.Select(g => g.Node));
            verifications.Add(($"{label}: {names} @ {group.Key}", exit, output));
            if (exit == 0)
            {
                Step($"rollout:verify ({label}) {names} @ {group.Key}: PASS");
                continue;
            }

            var served = false;
            foreach (var (node, _) in group)
            {
                served |= await ServesAsync(node, "api/system/operator-metrics", ct);
            }

            var partial = !served && RowsPass(output, ["bootstrap", "node-ready"]);
            if (partial)
            {
                Step($"rollout:verify ({label}) {names} @ {group.Key}: bootstrap + node-ready PASS; other rows need operator surfaces this build does not serve");
            }
            else
            {
                violations.Add($"rollout:verify ({label}) {names} @ {group.Key} failed (exit {exit}): {output}");
            }
        }
    }

    private static bool RowsPass(string output, string[] checks)
    {
        if (JsonNode.Parse(output) is not JsonObject doc || doc["rows"] is not JsonArray rows)
        {
            return false;
        }

        var relevant = rows.OfType<JsonObject>().Where(r => checks.Contains((string?)r["check"])).ToList();
        return relevant.Count > 0 && relevant.All(r => (bool?)r["passed"] == true);
    }

    /// <summary>
    /// An idempotent cohort command; a network error (exit 3) or a timeout (exit 7: a slow node's cluster-info
    /// preflight, or the drain watch's own timeout) is retried, as an operator would rerun it.
    /// </summary>
    private async Task CliAsync(string label, Uri server, IReadOnlyList<string> args, int expectExit, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (exit, output) = await RunCliAsync(server, args, ct);
            if (exit == expectExit)
            {
                return;
            }

            if (exit is not (3 or 7) || attempt == 4)
            {
                throw new InvalidOperationException($"dw {label}: exit {exit}: {output}");
            }

            Step($"dw {label}: exit {exit}, rerun");
        }
    }

    private async Task<(int Exit, string Output)> RunCliAsync(Uri server, IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(settings.CliDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--server");
        info.ArgumentList.Add(server.ToString().TrimEnd('/'));
        info.ArgumentList.Add("--token");
        info.ArgumentList.Add(Token);
        info.ArgumentList.Add("--json");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dw.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stdout).Trim();
        await File.AppendAllTextAsync(Log("dw"), $"$ dw {string.Join(' ', args)} --server {server}\nexit {process.ExitCode}\n{output}\n{await stderr}\n", ct);
        return (process.ExitCode, output);
    }

    /// <summary>After the load stops: every acknowledged order must reach a terminal state (bounded wait).</summary>
    private async Task WaitAllCompletedAsync(CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(120);
        var open = -1L;
        while (DateTimeOffset.UtcNow < deadline)
        {
            open = await DrillChecks.OpenOrdersAsync(settings.Postgres, ct);
            if (open == 0)
            {
                return;
            }

            await Task.Delay(500, ct);
        }

        violations.Add($"{open} drill.order run(s) still open 120 s after the load stopped");
    }

    private async Task PhaseAsync(string phase, TimeSpan length, CancellationToken ct)
    {
        Enter(phase);
        await Task.Delay(length, ct);
    }

    private void Enter(string phase)
    {
        timeline.Add((phase, DateTimeOffset.UtcNow));
        if (load is not null)
        {
            load.Phase = phase;
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:F1} s] {phase}"));
    }

    private void Step(string text)
    {
        steps.Add(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:F1} s] {text}"));
        Console.Error.WriteLine($"    {text}");
    }

    private async Task StopEverythingAsync()
    {
        var stops = new List<Task>();
        foreach (var member in cohorts.Values.SelectMany(c => c))
        {
            stops.Add(member.StopAsync(TimeSpan.FromSeconds(10)));
        }

        await Task.WhenAll(stops);
        stops.Clear();
        foreach (var (process, _, _) in nodes.Values)
        {
            stops.Add(process.StopAsync(TimeSpan.FromSeconds(10)));
        }

        if (scheduler is { } s)
        {
            stops.Add(s.Process.StopAsync(TimeSpan.FromSeconds(10)));
        }

        await Task.WhenAll(stops);
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in cohorts.Values.SelectMany(c => c))
        {
            await member.DisposeAsync();
        }

        foreach (var (process, _, _) in nodes.Values)
        {
            await process.DisposeAsync();
        }

        if (scheduler is { } s)
        {
            await s.Process.DisposeAsync();
        }

        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }

        load?.Dispose();
        http.Dispose();
    }
}
