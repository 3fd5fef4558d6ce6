using System.Globalization;
using System.Text;

namespace DurableWorkflow.Benchmarks;

/// <summary>The printed report: the reference run's table, the scaling table, the database counts, idle, RSS, targets.</summary>
public static class Report
{
    public const string RedisWakeMode = "(a) Redis wake: poll parked on A, start via B";

    /// <summary>The worker count whose run the statement counts and the main table describe when it was measured.</summary>
    private const int ReferenceWorkers = 4;

    /// <summary>The issue's throughput target.</summary>
    private const int TargetWorkflowsPerSecond = 150;

    public sealed record ScaleRow(int Workers, ThroughputRun.Result Throughput, RawPostgresCeiling.Result? Raw, DatabaseCounters.Window? Counters, CpuAccounting.Phase? Cpu, CpuAccounting.Phase? RawCpu)
    {
        public double WorkflowsPerSecond => Throughput.CompletedWorkflows / Throughput.Elapsed.TotalSeconds;

        public double TransitionsPerSecond => Throughput.Transitions / Throughput.Elapsed.TotalSeconds;

        public double? Ratio => Raw is null ? null : TransitionsPerSecond / Raw.CyclesPerSecond;

        public double? StatementsPerWorkflow => Counters?.WorkStatements / (double)Math.Max(1, Throughput.CompletedWorkflows);

        public double? CommitsPerWorkflow => Counters is null ? null : Counters.Commits / (double)Math.Max(1, Throughput.CompletedWorkflows);

        /// <summary>"WAL KB per workflow (full-page images per workflow, checkpoints started)" over the window.</summary>
        public string Wal => Counters is null
            ? "n/a"
            : Invariant($"{Counters.WalBytes / 1024.0 / Math.Max(1, Throughput.CompletedWorkflows):F1} ({Counters.FullPageImages / (double)Math.Max(1, Throughput.CompletedWorkflows):F2}, {Counters.Checkpoints})");
    }

    public sealed record SteadyRow(
        double Rate, int Workers, ThroughputRun.Result Run, IReadOnlyList<ResidentMemory.Sample>? Samples, DatabaseCounters.Window? Counters, CpuAccounting.Phase? Cpu);

    public static string Render(
        BenchmarkOptions options,
        Uri server,
        DatabaseCounters? counters,
        IReadOnlyList<ScaleRow> scaling,
        IReadOnlyList<DispatchLatency.Result> latencies,
        SteadyRow? steady,
        IdleCost.Result? idle)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scaling);
        ArgumentNullException.ThrowIfNull(latencies);
        var reference = scaling.FirstOrDefault(r => r.Workers == ReferenceWorkers) ?? scaling[0];
        var peak = scaling.MaxBy(r => r.WorkflowsPerSecond)!;
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Reference run (K = {reference.Workers}):"));
        text.Append(MainTable(options, server, reference, latencies));

        text.AppendLine();
        text.AppendLine("Scaling (one throughput phase and one raw ceiling per K):");
        text.Append(Table(
            ["K", "wf/s", "transitions/s", "round trip start / wf / act (ms)", "raw cycles/s", "ratio", "statements/wf", "commits/wf", "WAL KB/wf (FPI/wf, ckpt)"],
            scaling.Select(r => new[]
            {
                Invariant($"{r.Workers}"),
                Invariant($"{r.WorkflowsPerSecond:F1}") + (r.Throughput.TimedOut || r.Throughput.CompletedWorkflows != r.Throughput.Requested ? Invariant($" ({r.Throughput.CompletedWorkflows}/{r.Throughput.Requested} done)") : string.Empty),
                Invariant($"{r.TransitionsPerSecond:F1}"),
                Invariant($"{r.Throughput.RoundTrips.MeanMs(RoundTrips.Start):F1} / {r.Throughput.RoundTrips.MeanMs(RoundTrips.WorkflowComplete):F1} / {r.Throughput.RoundTrips.MeanMs(RoundTrips.ActivityComplete):F1}"),
                r.Raw is null ? "n/a" : Invariant($"{r.Raw.CyclesPerSecond:F1}"),
                r.Ratio is { } ratio ? Invariant($"{ratio:P1}") : "n/a",
                r.StatementsPerWorkflow is { } s ? Invariant($"{s:F1}") : "n/a",
                r.CommitsPerWorkflow is { } c ? Invariant($"{c:F1}") : "n/a",
                r.Wal,
            }).ToList()));
        text.AppendLine("  WAL = the cluster's WAL bytes over the window (pg_stat_wal); FPI = full-page images, the first change to a page");
        text.AppendLine("    after a checkpoint; ckpt = checkpoints started in the window.");

        text.AppendLine();
        text.Append(CpuSection(scaling));
        text.AppendLine();
        text.Append(DatabaseSection(counters, reference));
        text.AppendLine();
        text.Append(WritesSection(reference));
        text.AppendLine();
        text.Append(IdleSection(counters, idle));
        text.AppendLine();
        text.Append(SteadySection(options, steady));
        text.AppendLine();
        text.Append(TargetsSection(reference, peak, scaling, latencies, steady, idle));
        text.AppendLine();
        text.Append(Definitions);
        return text.ToString();
    }

    public static string Invariant(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToString(CultureInfo.InvariantCulture);
    }

    private static string MainTable(BenchmarkOptions options, Uri server, ScaleRow row, IReadOnlyList<DispatchLatency.Result> latencies)
    {
        var throughput = row.Throughput;
        List<string[]> rows =
        [
            ["server", options.SelfHost ? $"self-hosted ({server})" : server.ToString()],
            ["workflows completed / requested", Invariant($"{throughput.CompletedWorkflows} / {throughput.Requested}{(throughput.TimedOut ? " (TIMED OUT)" : string.Empty)}")],
            ["workers (K)", Invariant($"{row.Workers}")],
            ["elapsed (all starts sent after)", Invariant($"{throughput.Elapsed.TotalSeconds:F2} s ({throughput.StartsElapsed.TotalSeconds:F2} s)")],
            ["workflows/s", Invariant($"{row.WorkflowsPerSecond:F1}")],
            ["state transitions (4 per workflow)", Invariant($"{throughput.Transitions} (starts {throughput.Started}, wf-task completions {throughput.WorkflowTaskCompletions}, activity completions {throughput.ActivityCompletions})")],
            ["state transitions/s", Invariant($"{row.TransitionsPerSecond:F1}")],
            ["errors (non-2xx, retried polls)", Invariant($"{throughput.Errors}")],
            ["mean round trip: start / wf complete / activity complete", Invariant(
                $"{throughput.RoundTrips.MeanMs(RoundTrips.Start):F1} / {throughput.RoundTrips.MeanMs(RoundTrips.WorkflowComplete):F1} / {throughput.RoundTrips.MeanMs(RoundTrips.ActivityComplete):F1} ms")],
        ];
        foreach (var latency in latencies)
        {
            rows.Add([$"dispatch latency {latency.Mode}",
                Invariant($"p50 {latency.Percentile(50):F1} ms, p99 {latency.Percentile(99):F1} ms, max {latency.Percentile(100):F1} ms (n={latency.SamplesMs.Count}, failed {latency.Failures}; lone start {latency.StartRoundTripMs:F1} ms; slowest at samples {latency.Slowest(3)})")]);
        }

        if (latencies.Count == 0)
        {
            rows.Add(["dispatch latency", "skipped (--skip-latency)"]);
        }

        if (row.Raw is { } raw)
        {
            rows.Add(["raw PostgreSQL enqueue+claim cycles/s", Invariant($"{raw.CyclesPerSecond:F1} ({raw.Cycles} cycles in {raw.Elapsed.TotalSeconds:F2} s, {raw.EmptyClaims} empty claims retried)")]);
            rows.Add(["ratio server transitions/s : raw cycles/s", Invariant($"{row.Ratio:P1}")]);
        }
        else
        {
            rows.Add(["raw PostgreSQL ceiling", "skipped (no --pg and no DW_TEST_PG)"]);
        }

        return Table(["metric", "value"], rows);
    }

    /// <summary>
    /// CPU milliseconds per workflow by process: on a machine the benchmark, the server and PostgreSQL share, a
    /// workflows/s target is a CPU budget per workflow (cores ÷ rate), and this says who spends it.
    /// </summary>
    private static string CpuSection(IReadOnlyList<ScaleRow> scaling)
    {
        var text = new StringBuilder();
        var budget = 1000.0 * Environment.ProcessorCount / TargetWorkflowsPerSecond;
        text.AppendLine(Invariant($"CPU per workflow by process, ms (from /proc; {TargetWorkflowsPerSecond} workflows/s on {Environment.ProcessorCount} cores leaves {budget:F1} ms of machine CPU per workflow):"));
        if (scaling.All(r => r.Cpu is null))
        {
            text.AppendLine("  not measured (needs --self-host and a PostgreSQL on this machine)");
            return text.ToString();
        }

        text.Append(Table(
            ["K", "server A", "PostgreSQL", "benchmark (workers, clients)", "rest of machine", "machine total", "machine busy", "PostgreSQL per raw cycle"],
            scaling.Where(r => r.Cpu is not null).Select(r => new[]
            {
                Invariant($"{r.Workers}"),
                Invariant($"{r.Cpu!.ServerA:F2}"),
                r.Cpu.Postgres is { } pg ? Invariant($"{pg:F2}") : "n/a",
                Invariant($"{r.Cpu.Benchmark:F2}"),
                Invariant($"{r.Cpu.Rest:F2}"),
                Invariant($"{r.Cpu.MachineBusy:F2}"),
                Invariant($"{r.Cpu.Utilisation:P0}"),
                r.RawCpu?.Postgres is { } rawPg ? Invariant($"{rawPg:F3}") : "n/a",
            }).ToList()));
        text.AppendLine("  A workflow is four transitions, so four raw enqueue+claim cycles are the least PostgreSQL work one can cost.");
        return text.ToString();
    }

    private static string DatabaseSection(DatabaseCounters? counters, ScaleRow row)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Statements and commits per workflow (K = {row.Workers}, {row.Throughput.CompletedWorkflows} workflows):"));
        if (counters is null || row.Counters is not { } window)
        {
            text.AppendLine("  not available (no PostgreSQL connection: give --pg or DW_TEST_PG)");
            return text.ToString();
        }

        var n = (double)Math.Max(1, row.Throughput.CompletedWorkflows);
        if (window.Statements is null)
        {
            text.AppendLine(Invariant($"  statements: {counters.StatementsUnavailable}"));
        }
        else
        {
            text.AppendLine(Invariant($"  statements: {window.WorkStatements / n:F1} per workflow ({window.WorkStatements} top-level statements, BEGIN/COMMIT/ROLLBACK excluded; pg_stat_statements.track = {counters.Track})"));
            text.AppendLine(Invariant($"  transaction control (BEGIN/COMMIT/ROLLBACK statements): {window.ControlStatements / n:F1} per workflow"));
        }

        text.AppendLine(Invariant($"  commits: {window.Commits / n:F1} per workflow ({window.Commits} = pg_stat_database.xact_commit delta; rollbacks {window.Rollbacks})"));
        text.AppendLine("  counted: everything the database ran from the start of the phase until 11 s after its last completion, on");
        text.AppendLine("  every node (A serves the run; the other nodes' background loops and all idle polls and re-probes count in),");
        text.AppendLine("  top-level statements only (statements run by FK triggers and functions are not counted).");
        text.Append(TopStatements(window, n));
        return text.ToString();
    }

    /// <summary>
    /// The rows a workflow changes, table by table: the raw cycle changes two rows of a two-index table, so this is
    /// where a workflow's PostgreSQL cost beyond four raw cycles comes from.
    /// </summary>
    private static string WritesSection(ScaleRow row)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Rows changed per workflow (K = {row.Workers}; pg_stat_user_tables over the same window):"));
        if (row.Counters is not { } window)
        {
            text.AppendLine("  not available (no PostgreSQL connection)");
            return text.ToString();
        }

        var n = (double)Math.Max(1, row.Throughput.CompletedWorkflows);
        text.Append(Table(
            ["table", "indexes", "inserts", "updates (HOT)", "deletes", "rows changed"],
            [.. window.Writes.Select(w => new[]
            {
                w.Table,
                Invariant($"{w.Indexes}"),
                Invariant($"{w.Inserts / n:F2}"),
                Invariant($"{w.Updates / n:F2} ({w.HotUpdates / n:F2})"),
                Invariant($"{w.Deletes / n:F2}"),
                Invariant($"{(w.Inserts + w.Updates + w.Deletes) / n:F2}"),
            })]));
        var changed = window.Writes.Sum(w => w.Inserts + w.Updates + w.Deletes) / n;
        var nonHot = window.Writes.Sum(w => w.Inserts + w.Updates - w.HotUpdates) / n;
        text.AppendLine(Invariant($"  in all: {changed:F1} rows changed per workflow, {nonHot:F1} of them with new index entries (inserts and non-HOT updates);"));
        text.AppendLine("  four raw cycles change 8 rows of a table with 2 indexes (4 inserts, 4 non-HOT updates).");
        return text.ToString();
    }

    private static string TopStatements(DatabaseCounters.Window window, double workflows)
    {
        if (window.Statements is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        text.AppendLine("  top 10 statements by calls per workflow:");
        foreach (var (query, calls) in window.Top(10))
        {
            var oneLine = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
            text.AppendLine(Invariant($"  {calls / workflows,7:F2}  {(oneLine.Length > 140 ? oneLine[..140] + "..." : oneLine)}"));
        }

        return text.ToString();
    }

    private static string IdleSection(DatabaseCounters? counters, IdleCost.Result? idle)
    {
        if (idle is null)
        {
            return counters is null
                ? "Idle: not measured (no PostgreSQL connection)\n"
                : "Idle: skipped (--idle-seconds 0)\n";
        }

        var statements = idle.StatementsPerSecond is { } s ? Invariant($"{s:F3} statements/s") : "statements: " + counters?.StatementsUnavailable;
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Idle, one workflow poll parked (hold {IdleCost.PollHoldSeconds} s, {idle.Polls} poll(s) over {idle.Window.TotalSeconds:F0} s; self-host: node A alone on the database, vacuumed first, autovacuum off on its tables):"));
        text.AppendLine(Invariant($"  {idle.TransactionsPerSecond:F3} transactions/s ({idle.Counters.Transactions} commits + rollbacks of the whole database), {statements}"));
        text.AppendLine(Invariant($"  autovacuum table passes in the window (catalogs included; a transaction each at least): {idle.Counters.AutovacuumPasses}"));
        text.AppendLine(Invariant($"  the server's own transactions: at most {idle.ServerTransactionsPerSecond:F3}/s (each runs at least one counted statement)"));
        foreach (var (query, calls) in idle.Counters.Top(8))
        {
            var oneLine = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
            text.AppendLine(Invariant($"  {calls,5}  {(oneLine.Length > 140 ? oneLine[..140] + "..." : oneLine)}"));
        }

        return text.ToString();
    }

    private static string SteadySection(BenchmarkOptions options, SteadyRow? steady)
    {
        if (steady is null)
        {
            return "Steady run: skipped (--steady-minutes M runs it; the issue's figure is 10)\n";
        }

        var text = new StringBuilder();
        text.AppendLine(Invariant($"Steady run: {options.SteadyMinutes} min at {steady.Rate:F1} workflows/s requested ({(options.SteadyRate is null ? "half the peak" : "--steady-rate")}), K = {steady.Workers}: {steady.Run.CompletedWorkflows}/{steady.Run.Requested} completed, {steady.Run.CompletedWorkflows / steady.Run.Elapsed.TotalSeconds:F1} workflows/s achieved, {steady.Run.Errors} errors"));
        var done = Math.Max(1, steady.Run.CompletedWorkflows);
        if (steady.Counters is { } window)
        {
            // Below the peak most polls park between tasks, so this is where wake-up costs (empty claims) show.
            text.AppendLine(Invariant($"  per workflow over the run: {(window.WorkStatements is { } work ? (work / (double)done).ToString("F1", CultureInfo.InvariantCulture) : "n/a")} statements, {window.Commits / (double)done:F1} commits, {window.Rollbacks / (double)done:F1} rollbacks"));
            text.Append(TopStatements(window, done));
        }

        if (steady.Cpu is { } cpu)
        {
            text.AppendLine(Invariant($"  CPU per workflow, ms: server A {cpu.ServerA:F2}, PostgreSQL {(cpu.Postgres is { } pg ? pg.ToString("F2", CultureInfo.InvariantCulture) : "n/a")}, benchmark {cpu.Benchmark:F2}, machine {cpu.MachineBusy:F2} ({cpu.Utilisation:P0} busy)"));
        }

        if (steady.Samples is not { Count: > 0 } samples)
        {
            text.AppendLine("  server RSS: not sampled (only the self-hosted node A can be sampled)");
            return text.ToString();
        }

        text.AppendLine("  server RSS (node A, VmRSS): " + string.Join(", ", samples.Select(s => Invariant($"{s.Seconds:F0}s {s.Kilobytes / 1024.0:F1} MB"))));
        text.AppendLine(Invariant($"  min {samples.Min(s => s.Kilobytes) / 1024.0:F1} MB, max {samples.Max(s => s.Kilobytes) / 1024.0:F1} MB, spread ±{ResidentMemory.Spread(samples):P1} ((max - min) / (max + min); target ±10 %)"));
        return text.ToString();
    }

    private static string TargetsSection(
        ScaleRow reference, ScaleRow peak, IReadOnlyList<ScaleRow> scaling, IReadOnlyList<DispatchLatency.Result> latencies, SteadyRow? steady, IdleCost.Result? idle)
    {
        var redis = latencies.FirstOrDefault(l => l.Mode == RedisWakeMode);

        // The server's best against the database's best: at a K where the raw ceiling collapses (64 connections on 2
        // cores), the ratio of that K alone says more about the ceiling than about the server.
        var ceiling = scaling.Where(r => r.Raw is not null).MaxBy(r => r.Raw!.CyclesPerSecond);
        var ratio = ceiling is null ? (double?)null : peak.TransitionsPerSecond / ceiling.Raw!.CyclesPerSecond;
        var rss = steady?.Samples is { Count: > 1 } samples ? ResidentMemory.Spread(samples) : (double?)null;
        List<string[]> rows =
        [
            Target(Invariant($"≥ {TargetWorkflowsPerSecond} workflows/s (peak)"), Invariant($"{peak.WorkflowsPerSecond:F1} at K = {peak.Workers}"), peak.WorkflowsPerSecond >= TargetWorkflowsPerSecond),
            Target(
                "ratio ≥ 50 % (peak transitions/s : best raw cycles/s)",
                ratio is { } r ? Invariant($"{r:P1} ({peak.TransitionsPerSecond:F1} at K = {peak.Workers} : {ceiling!.Raw!.CyclesPerSecond:F1} at K = {ceiling.Workers})") : null,
                ratio >= 0.5),
            Target("≤ 25 statements per workflow", reference.StatementsPerWorkflow is { } s ? Invariant($"{s:F1} at K = {reference.Workers}") : null, reference.StatementsPerWorkflow <= 25),
            Target("≤ 8 commits per workflow", reference.CommitsPerWorkflow is { } c ? Invariant($"{c:F1} at K = {reference.Workers}") : null, reference.CommitsPerWorkflow <= 8),
            Target("Redis-wake dispatch p99 < 10 ms", redis is null || redis.SamplesMs.Count == 0 ? null : Invariant($"{redis.Percentile(99):F1} ms (n={redis.SamplesMs.Count})"), redis?.Percentile(99) < 10),
            Target("idle parked poll ≤ 0.2 transactions/s", idle is null ? null : Invariant($"≤ {idle.ServerTransactionsPerSecond:F3} (database {idle.TransactionsPerSecond:F3})"), idle?.ServerTransactionsPerSecond <= 0.2),
            Target("server RSS flat ±10 % (steady run)", rss is { } spread ? Invariant($"±{spread:P1}") : null, rss <= 0.1),
        ];
        var text = "Targets (issue 12):\n" + Table(["target", "measured", "result"], rows);
        if (ceiling is not null && peak.Cpu?.Postgres is { } pgPerWorkflow)
        {
            // PostgreSQL's CPU per workflow alone caps the rate: even a server and workers that cost nothing could not
            // run more workflows per second than the cores divided by it.
            var bound = 4 * 1000.0 * Environment.ProcessorCount / pgPerWorkflow;
            text += Invariant($"  ratio bound from PostgreSQL's CPU alone at the peak: {Environment.ProcessorCount} cores / {pgPerWorkflow:F2} ms per workflow = {bound / 4:F0} workflows/s = {bound:F0} transitions/s = {bound / ceiling.Raw!.CyclesPerSecond:P1} of {ceiling.Raw.CyclesPerSecond:F1} raw cycles/s, with a server and workers that cost no CPU\n");
        }

        return text;
    }

    private static string[] Target(string name, string? measured, bool? met) =>
        [name, measured ?? "not measured", measured is null ? "-" : met == true ? "PASS" : "MISS"];

    private static string Table(IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToList();
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        var text = new StringBuilder();
        text.AppendLine(rule);
        text.AppendLine("| " + string.Join(" | ", header.Select((h, i) => h.PadRight(widths[i]))) + " |");
        text.AppendLine(rule);
        foreach (var row in rows)
        {
            text.AppendLine("| " + string.Join(" | ", row.Select((v, i) => v.PadRight(widths[i]))) + " |");
        }

        text.AppendLine(rule);
        return text.ToString();
    }

    private const string Definitions =
        """
        Definitions:
          state transition = one durable state change a client or worker drives: workflow start (201), workflow-task
            completion (200; two per workflow: schedule the activity, complete the run), activity completion (200).
            A one-activity workflow is 4 transitions. Rates are over the wall time from the first start to the last completion.
          dispatch latency = POST /api/workflows returned -> the already-parked workflow poll answered with that task (0 if earlier).
          raw cycle = one transaction inserting a ready row into a workflow_tasks-shaped scratch table + one transaction claiming
            the oldest ready row with the server's FOR UPDATE SKIP LOCKED claim; K connections; 4 x N cycles.
          ratio = server transitions/s / raw cycles/s: the share of the bare database dispatch ceiling the server reaches;
            the target compares the peak's transitions/s with the highest raw cycles/s of any K.
          statements = top-level statements in pg_stat_statements (BEGIN/COMMIT/ROLLBACK shown apart) / completed workflows;
            commits = pg_stat_database.xact_commit delta / completed workflows; both over the whole database, idle loops included.
          idle = transactions (commits + rollbacks) per second with one poll parked and nothing else running: the server's
            own are bounded by its statements (each transaction runs one at least); the database's figure also holds
            autovacuum workers' transactions, whose table passes are printed.
        """;
}
