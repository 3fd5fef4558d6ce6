using System.Globalization;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// Fields 4 (ppid) and 14–17 (utime, stime, cutime, cstime) of a process's or thread's <c>stat</c> file under
/// <c>/proc</c>, in CPU seconds: <see cref="Own"/> = utime + stime, <see cref="Reaped"/> = its reaped children's.
/// </summary>
public sealed record ProcStat(int ParentId, double Own, double Reaped)
{
    /// <summary>Linux reports CPU times in USER_HZ ticks, fixed at 100 per second by its ABI.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>Null when the file cannot be read (the process or thread has gone).</summary>
    public static ProcStat? Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name may contain spaces and parentheses; the fields resume after its last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        double Ticks(int field) => long.Parse(fields[field - 3], CultureInfo.InvariantCulture) / TicksPerSecond;
        return new ProcStat(int.Parse(fields[1], CultureInfo.InvariantCulture), Ticks(14) + Ticks(15), Ticks(16) + Ticks(17));
    }
}
