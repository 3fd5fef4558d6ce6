using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// Where the machine's CPU goes during a throughput phase, from <c>/proc</c>: server node A (alone during these phases), the
/// PostgreSQL cluster (postmaster, its live children, and the children it has reaped, so closed connections keep
/// counting), this process (the K workers and the starting clients) and the rest of the machine. Dividing by the
/// completed workflows gives CPU milliseconds per workflow, which is far steadier than workflows/s on a shared
/// machine and says which process a throughput target has to come out of.
/// </summary>
public sealed class CpuAccounting
{
    private readonly int serverA;
    private readonly int? postmaster;

    private CpuAccounting(int serverA, int? postmaster)
    {
        this.serverA = serverA;
        this.postmaster = postmaster;
    }

    /// <summary>CPU seconds since boot (machine) or process start, per part; null where it cannot be read.</summary>
    public sealed record Snapshot(double ServerA, double? Postgres, double Benchmark, double MachineBusy, double Elapsed);

    /// <summary>One phase's CPU per part, in milliseconds per completed workflow, and how busy the machine was.</summary>
    public sealed record Phase(double ServerA, double? Postgres, double Benchmark, double Rest, double MachineBusy, double Utilisation);

    /// <summary>
    /// Null unless this machine shows <c>/proc</c>. The PostgreSQL cluster is found through a backend's parent (the
    /// postmaster); a database on another machine leaves it unmeasured.
    /// </summary>
    public static async Task<CpuAccounting?> OpenAsync(int serverA, string postgres, CancellationToken cancellationToken)
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        var parent = Read(backend) is { } stat ? stat.ParentId : (int?)null;
        return new CpuAccounting(serverA, parent);
    }

    public Snapshot Take()
    {
        double? postgres = null;
        if (postmaster is { } root)
        {
            postgres = Cluster(root);
        }

        return new Snapshot(
            Read(serverA)?.Own ?? 0,
            postgres,
            Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            MachineBusySeconds(),
            Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency);
    }

    public static Phase Between(Snapshot before, Snapshot after, int workflows)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var perWorkflow = 1000.0 / Math.Max(1, workflows);
        var server = after.ServerA - before.ServerA;
        var postgres = after.Postgres - before.Postgres;
        var benchmark = after.Benchmark - before.Benchmark;
        var busy = after.MachineBusy - before.MachineBusy;
        var rest = busy - server - (postgres ?? 0) - benchmark;
        var utilisation = busy / ((after.Elapsed - before.Elapsed) * Environment.ProcessorCount);
        return new Phase(server * perWorkflow, postgres * perWorkflow, benchmark * perWorkflow, rest * perWorkflow, busy * perWorkflow, utilisation);
    }

    private static ProcStat? Read(int pid) => ProcStat.Read($"/proc/{pid}/stat");

    /// <summary>
    /// The cluster's CPU: the postmaster's own and its reaped children's, plus its live children's. A backend reaped
    /// while the children are listed would be in neither sum, so the listing is repeated until the postmaster reaped
    /// nothing during it: after a raw phase at K = 64, its 64 connections close as the phase ends, and a single pass
    /// missed most of their CPU (0.034 ms per raw cycle against 0.33 at K = 16).
    /// </summary>
    private static double? Cluster(int root)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (Read(root) is not { } before)
            {
                return null;
            }

            var children = Children(root).Sum(c => c.Own);
            if (Read(root) is not { } after)
            {
                return null;
            }

            if (after.Reaped == before.Reaped || attempt == 20)
            {
                return after.Own + after.Reaped + children;
            }
        }
    }

    private static IEnumerable<ProcStat> Children(int parent)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Read(pid) is { } stat && stat.ParentId == parent)
            {
                yield return stat;
            }
        }
    }

    /// <summary>All CPUs' non-idle time from the first line of <c>/proc/stat</c> (idle and iowait excluded).</summary>
    private static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var total = 0L;
        for (var i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            if (i is not (4 or 5))
            {
                total += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }

        return total / ProcStat.TicksPerSecond;
    }
}
