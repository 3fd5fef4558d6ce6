using System.Globalization;

namespace DurableWorkflow.Benchmarks;

/// <summary>Command line of the benchmark; every phase is bounded by counts and by <see cref="MaxSeconds"/>.</summary>
public sealed record BenchmarkOptions
{
    public Uri? Server { get; init; }

    public bool SelfHost { get; init; }

    public string? Token { get; init; }

    public int Workflows { get; init; } = 300;

    public int Workers { get; init; } = 4;

    public int LatencySamples { get; init; } = 40;

    public int MaxSeconds { get; init; } = 600;

    /// <summary>PostgreSQL for the raw ceiling in <c>--server</c> mode (default <c>DW_TEST_PG</c>).</summary>
    public string? Postgres { get; init; }

    public static string Usage =>
        """
        Usage: dotnet run -c Release --project tests/DurableWorkflow.Benchmarks -- (--server URL | --self-host) [options]

          --server URL           benchmark a running server (root URL, without /api)
          --self-host            start PostgreSQL-backed server processes (needs DW_TEST_PG and DW_TEST_REDIS)
          --token TOKEN          bearer token for --server (default: env DW_BENCH_TOKEN, else none)
          --workflows N          workflows of one activity each (default 300)
          --workers K            concurrent test workers, and connections of the raw ceiling (default 4)
          --latency-samples S    dispatch-latency samples per mode (default 40)
          --pg CONNECTION        PostgreSQL for the raw ceiling with --server (default: env DW_TEST_PG)
          --max-seconds T        hard stop for the whole run (default 600)
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
                "--workers" => options with { Workers = Positive(name, Value()) },
                "--latency-samples" => options with { LatencySamples = Positive(name, Value()) },
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
}
