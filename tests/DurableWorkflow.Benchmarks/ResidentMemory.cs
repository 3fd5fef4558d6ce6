using System.Globalization;

namespace DurableWorkflow.Benchmarks;

/// <summary>Samples a process's resident set (<c>VmRSS</c> of <c>/proc/&lt;pid&gt;/status</c>) at a fixed interval.</summary>
public static class ResidentMemory
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(30);

    /// <summary>One sample: seconds since the first, resident kilobytes.</summary>
    public sealed record Sample(double Seconds, long Kilobytes);

    /// <summary>Samples at once and then every <see cref="SampleInterval"/> until cancelled.</summary>
    public static async Task<IReadOnlyList<Sample>> SampleUntilAsync(int processId, CancellationToken stop)
    {
        var samples = new List<Sample>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(SampleInterval);
        do
        {
            if (Read(processId) is { } kilobytes)
            {
                samples.Add(new Sample(clock.Elapsed.TotalSeconds, kilobytes));
            }
        }
        while (await Tick(timer, stop));

        return samples;
    }

    /// <summary>(max − min) ÷ (max + min): the half-range around the midpoint, the "±" of the spread.</summary>
    public static double Spread(IReadOnlyList<Sample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        double min = samples.Min(s => s.Kilobytes);
        double max = samples.Max(s => s.Kilobytes);
        return (max - min) / (max + min);
    }

    private static long? Read(int processId)
    {
        var path = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(path))
        {
            return null;
        }

        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
