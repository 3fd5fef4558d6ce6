using System.Globalization;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// How much of a server process's CPU its tiered-compilation thread (the runtime's background re-JIT of hot methods at
/// full optimisation, dynamic PGO included) took, from <c>/proc/&lt;pid&gt;/task</c>. A fresh server spends a large
/// share of its CPU there for its first minute or so of load (measured here: up to a quarter of a core, a third of the
/// server's CPU, twenty seconds into a phase that followed a 600-workflow warm-up), so the warm-up repeats until this
/// share is small.
/// </summary>
public sealed class JitActivity
{
    /// <summary>The thread's name as Linux keeps it: <c>.NET Tiered Compilation Worker</c> cut to 15 characters.</summary>
    private const string ThreadName = ".NET Tiered Com";

    private readonly int pid;

    private JitActivity(int pid) => this.pid = pid;

    /// <summary>The process's CPU seconds and its tiered-compilation threads' CPU seconds by thread id.</summary>
    public sealed record Snapshot(double Process, IReadOnlyDictionary<int, double> Compilers);

    /// <summary>One round: the process's CPU, the compiler threads' share of it, and whether a compiler thread ended
    /// during the round (its last CPU is then unknown, so the round does not count as quiet).</summary>
    public sealed record Round(double ProcessSeconds, double CompilerSeconds, bool CompilerEnded)
    {
        public double Share => ProcessSeconds > 0 ? CompilerSeconds / ProcessSeconds : 0;
    }

    /// <summary>Null unless <c>/proc</c> shows the process (a server on another machine is not measured).</summary>
    public static JitActivity? Open(int pid) => Directory.Exists($"/proc/{pid}/task") ? new JitActivity(pid) : null;

    public Snapshot Take()
    {
        var compilers = new Dictionary<int, double>();
        foreach (var directory in SafeEnumerate($"/proc/{pid}/task"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)
                && ReadText(Path.Combine(directory, "comm"))?.TrimEnd('\n') == ThreadName
                && ProcStat.Read(Path.Combine(directory, "stat")) is { } stat)
            {
                compilers[tid] = stat.Own;
            }
        }

        return new Snapshot(ProcStat.Read($"/proc/{pid}/stat")?.Own ?? 0, compilers);
    }

    public static Round Between(Snapshot before, Snapshot after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var compiler = after.Compilers.Sum(c => c.Value - before.Compilers.GetValueOrDefault(c.Key));
        return new Round(after.Process - before.Process, compiler, before.Compilers.Keys.Any(tid => !after.Compilers.ContainsKey(tid)));
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> SafeEnumerate(string directory)
    {
        try
        {
            return Directory.GetDirectories(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
