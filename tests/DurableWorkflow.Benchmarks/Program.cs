using System.Globalization;
using System.Text;
using DurableWorkflow.Benchmarks;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or UriFormatException)
{
    await Console.Error.WriteLineAsync(ex.Message);
    await Console.Error.WriteLineAsync(BenchmarkOptions.Usage);
    return 2;
}

using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxSeconds));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    limit.Cancel();
};
var ct = limit.Token;

SelfHostedCluster? cluster = null;
try
{
    Uri server;
    string? token;
    string? postgres;
    if (options.SelfHost)
    {
        Console.WriteLine("Starting a scratch database and 4 server processes (A, B with Redis; C, D without)...");
        cluster = await SelfHostedCluster.StartAsync(ct);
        server = cluster.RedisA.BaseAddress;
        token = SelfHostedCluster.Token;
        postgres = cluster.ConnectionString;
    }
    else
    {
        server = options.Server!;
        token = options.Token;
        postgres = options.Postgres ?? Environment.GetEnvironmentVariable("DW_TEST_PG");
    }

    var phaseLimit = TimeSpan.FromSeconds(options.MaxSeconds);
    Console.WriteLine(Invariant($"Warm-up: {Math.Min(20, options.Workflows)} workflows..."));
    await ThroughputRun.RunAsync(server, token, Math.Min(20, options.Workflows), options.Workers, phaseLimit, ct);

    Console.WriteLine(Invariant($"Throughput: {options.Workflows} workflows x 1 activity, {options.Workers} workers against {server}..."));
    var throughput = await ThroughputRun.RunAsync(server, token, options.Workflows, options.Workers, phaseLimit, ct);

    Console.WriteLine(Invariant($"Dispatch latency: {options.LatencySamples} samples per mode..."));
    var latencies = new List<DispatchLatency.Result>();
    if (cluster is not null)
    {
        latencies.Add(await DispatchLatency.MeasureAsync("(a) Redis wake: poll parked on A, start via B", cluster.RedisA.BaseAddress, cluster.RedisB.BaseAddress, token, options.LatencySamples, ct));
        latencies.Add(await DispatchLatency.MeasureAsync("(b) no Redis, one node: poll and start on C", cluster.PlainC.BaseAddress, cluster.PlainC.BaseAddress, token, options.LatencySamples, ct));
        latencies.Add(await DispatchLatency.MeasureAsync("(c) no Redis, two nodes: poll on C, start via D", cluster.PlainC.BaseAddress, cluster.PlainD.BaseAddress, token, options.LatencySamples, ct));
    }
    else
    {
        latencies.Add(await DispatchLatency.MeasureAsync("given server: poll and start on it", server, server, token, options.LatencySamples, ct));
    }

    RawPostgresCeiling.Result? raw = null;
    if (postgres is not null)
    {
        Console.WriteLine(Invariant($"Raw PostgreSQL ceiling: {4 * options.Workflows} enqueue+claim cycles on {options.Workers} connections..."));
        raw = await RawPostgresCeiling.MeasureAsync(postgres, 4 * options.Workflows, options.Workers, ct);
    }

    Console.WriteLine();
    Console.WriteLine(Report(options, server, throughput, latencies, raw));
    return throughput.TimedOut || throughput.CompletedWorkflows != options.Workflows ? 1 : 0;
}
catch (OperationCanceledException) when (limit.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync(Invariant($"Stopped: the run exceeded --max-seconds {options.MaxSeconds} (or was interrupted)."));
    return 1;
}
finally
{
    if (cluster is not null)
    {
        await cluster.DisposeAsync();
    }
}

static string Report(BenchmarkOptions options, Uri server, ThroughputRun.Result throughput, List<DispatchLatency.Result> latencies, RawPostgresCeiling.Result? raw)
{
    var seconds = throughput.Elapsed.TotalSeconds;
    var workflowsPerSecond = throughput.CompletedWorkflows / seconds;
    var transitionsPerSecond = throughput.Transitions / seconds;
    var rows = new List<(string Metric, string Value)>
    {
        ("server", options.SelfHost ? $"self-hosted ({server})" : server.ToString()),
        ("workflows completed / requested", Invariant($"{throughput.CompletedWorkflows} / {throughput.Requested}{(throughput.TimedOut ? " (TIMED OUT)" : string.Empty)}")),
        ("workers (K)", Invariant($"{options.Workers}")),
        ("elapsed (all starts sent after)", Invariant($"{seconds:F2} s ({throughput.StartsElapsed.TotalSeconds:F2} s)")),
        ("workflows/s", Invariant($"{workflowsPerSecond:F1}")),
        ("state transitions (4 per workflow)", Invariant($"{throughput.Transitions} (starts {throughput.Started}, wf-task completions {throughput.WorkflowTaskCompletions}, activity completions {throughput.ActivityCompletions})")),
        ("state transitions/s", Invariant($"{transitionsPerSecond:F1}")),
        ("errors (non-2xx, retried polls)", Invariant($"{throughput.Errors}")),
        ("mean round trip: start / wf complete / activity complete", Invariant(
            $"{throughput.RoundTrips.MeanMs(RoundTrips.Start):F1} / {throughput.RoundTrips.MeanMs(RoundTrips.WorkflowComplete):F1} / {throughput.RoundTrips.MeanMs(RoundTrips.ActivityComplete):F1} ms")),
    };
    foreach (var latency in latencies)
    {
        rows.Add(($"dispatch latency {latency.Mode}",
            Invariant($"p50 {latency.Percentile(50):F1} ms, p99 {latency.Percentile(99):F1} ms, max {latency.Percentile(100):F1} ms (n={latency.SamplesMs.Count}, failed {latency.Failures}; lone start {latency.StartRoundTripMs:F1} ms)")));
    }

    if (raw is not null)
    {
        rows.Add(("raw PostgreSQL enqueue+claim cycles/s", Invariant($"{raw.CyclesPerSecond:F1} ({raw.Cycles} cycles in {raw.Elapsed.TotalSeconds:F2} s, {raw.EmptyClaims} empty claims retried)")));
        rows.Add(("ratio server transitions/s : raw cycles/s", Invariant($"{transitionsPerSecond / raw.CyclesPerSecond:P1}")));
    }
    else
    {
        rows.Add(("raw PostgreSQL ceiling", "skipped (no --pg and no DW_TEST_PG)"));
    }

    var width = rows.Max(r => r.Metric.Length);
    var valueWidth = rows.Max(r => r.Value.Length);
    var text = new StringBuilder();
    var rule = $"+-{new string('-', width)}-+-{new string('-', valueWidth)}-+";
    text.AppendLine(rule);
    text.AppendLine(Invariant($"| {"metric".PadRight(width)} | {"value".PadRight(valueWidth)} |"));
    text.AppendLine(rule);
    foreach (var (metric, value) in rows)
    {
        text.AppendLine(Invariant($"| {metric.PadRight(width)} | {value.PadRight(valueWidth)} |"));
    }

    text.AppendLine(rule);
    text.AppendLine("Definitions:");
    text.AppendLine("  state transition = one durable state change a client or worker drives: workflow start (201), workflow-task");
    text.AppendLine("    completion (200; two per workflow: schedule the activity, complete the run), activity completion (200).");
    text.AppendLine("    A one-activity workflow is 4 transitions. Rates are over the wall time from the first start to the last completion.");
    text.AppendLine("  dispatch latency = POST /api/workflows returned -> the already-parked workflow poll answered with that task (0 if earlier).");
    text.AppendLine("  raw cycle = one transaction inserting a ready row into a workflow_tasks-shaped scratch table + one transaction claiming");
    text.AppendLine("    the oldest ready row with the server's FOR UPDATE SKIP LOCKED claim; K connections; 4 x N cycles.");
    text.AppendLine("  ratio = server transitions/s / raw cycles/s: the share of the bare database dispatch ceiling the server reaches.");
    return text.ToString();
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
