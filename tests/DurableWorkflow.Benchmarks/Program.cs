using System.Globalization;
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

using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(options.EffectiveMaxSeconds));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    limit.Cancel();
};
var ct = limit.Token;

SelfHostedCluster? cluster = null;
var scaling = new List<Report.ScaleRow>();
var latencies = new List<DispatchLatency.Result>();
Report.SteadyRow? steady = null;
IdleCost.Result? idle = null;
DatabaseCounters? counters = null;
Uri? target = null;
try
{
    Uri server;
    string? token;
    string? postgres;
    if (options.SelfHost)
    {
        Console.WriteLine("Starting a scratch database and server A (with Redis); B (with Redis), C and D (without) start for the latency modes...");
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

    target = server;
    counters = postgres is null ? null : await DatabaseCounters.OpenAsync(postgres, ct);
    var cpu = cluster is null || postgres is null
        ? null
        : await CpuAccounting.OpenAsync(cluster.RedisA.ProcessId, postgres, ct);
    var phaseLimit = TimeSpan.FromSeconds(options.EffectiveMaxSeconds);

    // Every measured phase alike: the database counters reset before it and read once PostgreSQL's statistics settled
    // after it, and each process's CPU taken around it.
    async Task<(ThroughputRun.Result Run, CpuAccounting.Phase? Cpu, DatabaseCounters.Window? Counters)> MeasureAsync(Func<Task<ThroughputRun.Result>> phase)
    {
        if (counters is not null)
        {
            await counters.ResetAsync(ct);
        }

        var cpuBefore = cpu?.Take();
        var run = await phase();
        var cpuPhase = cpuBefore is null ? null : CpuAccounting.Between(cpuBefore, cpu!.Take(), run.CompletedWorkflows);
        DatabaseCounters.Window? window = null;
        if (counters is not null)
        {
            Console.WriteLine(Report.Invariant($"  counting statements and commits ({DatabaseCounters.Settle.TotalSeconds:F0} s for PostgreSQL's statistics to settle)..."));
            await Task.Delay(DatabaseCounters.Settle, ct);
            window = await counters.ReadAsync(ct);
        }

        return (run, cpuPhase, window);
    }
    if (options.WarmUpWorkflows > 0)
    {
        var warmUpWorkers = options.Workers.Max();
        var jit = cluster is null ? null : JitActivity.Open(cluster.RedisA.ProcessId);
        for (var round = 1; ; round++)
        {
            Console.Write(Report.Invariant($"Warm-up round {round}: {options.WarmUpWorkflows} workflows, {warmUpWorkers} workers (not counted)..."));
            var before = jit?.Take();
            await ThroughputRun.RunAsync(server, token, options.WarmUpWorkflows, warmUpWorkers, phaseLimit, ct);
            if (jit is null || before is null)
            {
                Console.WriteLine();
                break;
            }

            var spent = JitActivity.Between(before, jit.Take());
            var quiet = !spent.CompilerEnded && spent.Share < BenchmarkOptions.QuietJitShare;
            Console.WriteLine(Report.Invariant($" server A {spent.ProcessSeconds:F1} s CPU, tiered compilation {spent.CompilerSeconds:F2} s ({spent.Share:P1}){(spent.CompilerEnded ? ", its thread ended" : "")}"));
            if (quiet || round >= options.MaxWarmUpRounds)
            {
                break;
            }
        }
    }

    if (counters is not null)
    {
        // The warm-up's statistics reach pg_stat_database before the first window opens.
        await Task.Delay(DatabaseCounters.Settle, ct);
    }

    foreach (var workers in options.Workers)
    {
        Console.WriteLine(Report.Invariant($"Throughput: {options.Workflows} workflows x 1 activity, {workers} workers against {server}..."));
        var (throughput, cpuPhase, window) = await MeasureAsync(() => ThroughputRun.RunAsync(server, token, options.Workflows, workers, phaseLimit, ct));
        RawPostgresCeiling.Result? raw = null;
        CpuAccounting.Phase? rawCpu = null;
        if (postgres is not null)
        {
            Console.WriteLine(Report.Invariant($"  raw PostgreSQL ceiling: {4 * options.Workflows} enqueue+claim cycles on {workers} connections..."));
            var rawBefore = cpu?.Take();
            raw = await RawPostgresCeiling.MeasureAsync(postgres, 4 * options.Workflows, workers, ct);
            rawCpu = rawBefore is null ? null : CpuAccounting.Between(rawBefore, cpu!.Take(), raw.Cycles);
        }

        scaling.Add(new Report.ScaleRow(workers, throughput, raw, window, cpuPhase, rawCpu));
    }

    if (!options.SkipLatency)
    {
        if (cluster is not null)
        {
            Console.WriteLine(Report.Invariant($"Dispatch latency: starting B, C and D; {options.LatencySamples} samples of modes (a) and (b), {options.UnsignalledLatencySamples} of mode (c)..."));
            await cluster.StartLatencyNodesAsync(ct);
            latencies.Add(await DispatchLatency.MeasureAsync(Report.RedisWakeMode, cluster.RedisA.BaseAddress, cluster.RedisB!.BaseAddress, token, options.LatencySamples, options.LatencyWarmUpSamples, ct));
            latencies.Add(await DispatchLatency.MeasureAsync("(b) no Redis, one node: poll and start on C", cluster.PlainC!.BaseAddress, cluster.PlainC.BaseAddress, token, options.LatencySamples, options.LatencyWarmUpSamples, ct));
            latencies.Add(await DispatchLatency.MeasureAsync("(c) no Redis, two nodes: poll on C, start via D", cluster.PlainC.BaseAddress, cluster.PlainD!.BaseAddress, token, options.UnsignalledLatencySamples, 0, ct));
            await cluster.StopLatencyNodesAsync();
        }
        else
        {
            Console.WriteLine(Report.Invariant($"Dispatch latency: {options.LatencySamples} samples..."));
            latencies.Add(await DispatchLatency.MeasureAsync("given server: poll and start on it", server, server, token, options.LatencySamples, options.LatencyWarmUpSamples, ct));
        }
    }

    if (options.SteadyMinutes > 0)
    {
        var peak = scaling.MaxBy(r => r.WorkflowsPerSecond)!;
        var rate = options.SteadyRate ?? peak.WorkflowsPerSecond / 2;
        var workflows = Math.Max(1, (int)(rate * 60 * options.SteadyMinutes));
        Console.WriteLine(Report.Invariant($"Steady run: {options.SteadyMinutes} min at {rate:F1} workflows/s ({(options.SteadyRate is null ? "half the peak" : "--steady-rate")}), {peak.Workers} workers, RSS every {ResidentMemory.SampleInterval.TotalSeconds:F0} s..."));
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampling = cluster is null ? null : ResidentMemory.SampleUntilAsync(cluster.RedisA.ProcessId, stopSampling.Token);
        var (run, cpuPhase, window) = await MeasureAsync(async () =>
        {
            var done = await ThroughputRun.RunAsync(server, token, workflows, peak.Workers, TimeSpan.FromMinutes(options.SteadyMinutes + 2), ct, rate);
            await stopSampling.CancelAsync();
            return done;
        });
        steady = new Report.SteadyRow(rate, peak.Workers, run, sampling is null ? null : await sampling, window, cpuPhase);
    }

    if (options.IdleSeconds > 0 && counters is not null)
    {
        // A runs alone on the database here (B, C and D stopped after the latency modes), so the figure is its own.
        var node = server;
        Console.WriteLine(Report.Invariant($"Idle: {options.IdleSeconds} s with one workflow poll parked on {node} (hold {IdleCost.PollHoldSeconds} s, re-polled back to back)..."));
        idle = await IdleCost.MeasureAsync(node, token, counters, TimeSpan.FromSeconds(options.IdleSeconds), vacuumFirst: cluster is not null, ct);
    }

    Console.WriteLine();
    Console.WriteLine(Report.Render(options, server, counters, scaling, latencies, steady, idle));
    return scaling.All(r => !r.Throughput.TimedOut && r.Throughput.CompletedWorkflows == options.Workflows) ? 0 : 1;
}
catch (OperationCanceledException) when (limit.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync(Report.Invariant($"Stopped: the run exceeded --max-seconds {options.EffectiveMaxSeconds} (or was interrupted)."));
    if (scaling.Count > 0 && target is not null)
    {
        // What was measured before the stop is still worth reading; later phases show as not measured.
        Console.WriteLine();
        Console.WriteLine("PARTIAL REPORT (stopped early):");
        Console.WriteLine(Report.Render(options, target, counters, scaling, latencies, steady, idle));
    }

    return 1;
}
finally
{
    if (cluster is not null)
    {
        await cluster.DisposeAsync();
    }
}
