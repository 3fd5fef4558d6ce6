using System.Globalization;

namespace DurableWorkflow.Benchmarks;

/// <summary>Command line of the benchmark; every phase is bounded by counts and by <see cref="MaxSeconds"/>.</summary>
public sealed record BenchmarkOptions
{
    public Uri? Server { get; init; }

    public bool SelfHost { get; init; }

    public string? Token { get; init; }

    public int Workflows { get; init; } = 300;

    /// <summary>The worker counts K of the scaling table; the throughput phase and the raw ceiling run once per K.</summary>
    public IReadOnlyList<int> Workers { get; init; } = [4];

    /// <summary>
    /// Workflows of one warm-up round, run at the largest K before the first phase and not counted: a fresh server
    /// JIT-compiles its hot paths (tiered compilation, dynamic PGO) for its first minute or so, which one short round
    /// leaves inside the phases. Rounds repeat until <see cref="JitActivity"/> finds the self-hosted server's
    /// tiered-compilation thread quiet (<see cref="QuietJitShare"/>), at most <see cref="MaxWarmUpRounds"/>.
    /// </summary>
    public int WarmUpWorkflows { get; init; } = 600;

    /// <summary>The share of server A's CPU in a warm-up round below which its tiered compilation counts as settled.</summary>
    public const double QuietJitShare = 0.02;

    /// <summary>The most warm-up rounds (<c>--warm-up-rounds</c>); 1 runs a single round whatever the compiler does.</summary>
    public int MaxWarmUpRounds { get; init; } = 6;

    public int LatencySamples { get; init; } = 100;

    /// <summary>Samples of modes (a) and (b) run first and not counted (<c>--latency-warm-up</c>).</summary>
    public int LatencyWarmUpSamples { get; init; } = DispatchLatency.WarmUpSamples;

    /// <summary>Samples of latency mode (c), which waits out a re-probe interval per sample.</summary>
    public int UnsignalledLatencySamples { get; init; } = 5;

    public bool SkipLatency { get; init; }

    /// <summary>Length of the idle measurement (0 = skipped).</summary>
    public int IdleSeconds { get; init; } = 60;

    /// <summary>Length of the steady run at half the peak rate with RSS samples (0 = skipped).</summary>
    public int SteadyMinutes { get; init; }

    /// <summary>The steady run's rate in workflows/s; null = half the peak of the scaling table.</summary>
    public double? SteadyRate { get; init; }

    /// <summary>Hard stop for the whole run; null = 900 s plus the steady run.</summary>
    public int? MaxSeconds { get; init; }

    public int EffectiveMaxSeconds => MaxSeconds ?? 900 + (60 * SteadyMinutes);

    /// <summary>PostgreSQL for the raw ceiling with <c>--server</c> (default <c>DW_TEST_PG</c>).</summary>
    public string? Postgres { get; init; }

    public static string Usage =>
        """
        Usage: dotnet run -c Release --project tests/DurableWorkflow.Benchmarks -- (--server URL | --self-host) [options]

          --server URL              benchmark a running server (root URL, without /api)
          --self-host               start PostgreSQL-backed server processes (needs DW_TEST_PG and DW_TEST_REDIS)
          --token TOKEN             bearer token for --server (default: env DW_BENCH_TOKEN, else none)
          --workflows N             workflows of one activity each, per K (default 300)
          --workers K[,K...]        worker counts of the scaling table, e.g. 1,4,16,64 (default 4); the raw ceiling
                                    uses K connections for each
          --warm-up W               workflows per warm-up round, run at the largest K and not counted; with
                                    --self-host, rounds repeat until server A's tiered compilation takes under
                                    2 % of its CPU in a round (default 600; 0 skips it)
          --warm-up-rounds R        the most warm-up rounds (default 6; 1 = one round, as before 2026-12-05)
          --latency-samples S       dispatch-latency samples of modes (a) and (b) (default 100)
          --latency-warm-up S       samples of modes (a) and (b) run first and not counted (default 5)
          --latency-c-samples S     samples of mode (c), no Redis across two nodes, ~5 s each (default 5)
          --skip-latency            skip the dispatch-latency phase
          --idle-seconds T          idle window with one parked poll (default 60; 0 skips it)
          --steady-minutes M        steady run at half the peak rate sampling server RSS every 30 s (default off; the
                                    issue's figure is 10)
          --steady-rate R           the steady run's rate in workflows/s instead of half the peak (to compare two
                                    builds at one load)
          --pg CONNECTION           the server's PostgreSQL database with --server (default: env DW_TEST_PG)
          --max-seconds T           hard stop for the whole run (default 900 + 60 x steady minutes)
        """;

    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new BenchmarkOptions { Token = Environment.GetEnvironmentVariable("DW_BENCH_TOKEN") };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--server" => options with { Server = new Uri(Value()) },
                "--self-host" => options with { SelfHost = true },
                "--token" => options with { Token = Value() },
                "--workflows" => options with { Workflows = Positive(name, Value()) },
                "--workers" => options with { Workers = [.. Value().Split(',').Select(k => Positive(name, k.Trim())).Distinct()] },
                "--warm-up" => options with { WarmUpWorkflows = NonNegative(name, Value()) },
                "--warm-up-rounds" => options with { MaxWarmUpRounds = Positive(name, Value()) },
                "--latency-samples" => options with { LatencySamples = Positive(name, Value()) },
                "--latency-warm-up" => options with { LatencyWarmUpSamples = NonNegative(name, Value()) },
                "--latency-c-samples" => options with { UnsignalledLatencySamples = Positive(name, Value()) },
                "--skip-latency" => options with { SkipLatency = true },
                "--idle-seconds" => options with { IdleSeconds = NonNegative(name, Value()) },
                "--steady-minutes" => options with { SteadyMinutes = NonNegative(name, Value()) },
                "--steady-rate" => options with { SteadyRate = Positive(name, Value()) },
                "--pg" => options with { Postgres = Value() },
                "--max-seconds" => options with { MaxSeconds = Positive(name, Value()) },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }

        if (options.SelfHost == (options.Server is not null))
        {
            throw new ArgumentException("Give exactly one of --server URL or --self-host.");
        }

        return options;
    }

    private static int Positive(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive integer (got '{text}').");

    private static int NonNegative(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{name} must be a non-negative integer (got '{text}').");
}
