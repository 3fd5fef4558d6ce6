using System.Globalization;
using System.Text.RegularExpressions;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// ISO-8601 durations as schedule intervals use them (control-plane §9.1): whole seconds, months counted as 30 days
/// and years as 365, so an interval is a fixed period anchored to the Unix epoch.
/// </summary>
public static partial class IsoDuration
{
    public static long? TryParseSeconds(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
        {
            return null;
        }

        var match = Pattern().Match(text.Trim());
        if (!match.Success || match.Groups.Cast<Group>().Skip(1).All(g => !g.Success))
        {
            return null;
        }

        static long Part(Match m, string name, long unit) =>
            m.Groups[name].Success ? long.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) * unit : 0;

        try
        {
            return checked(Part(match, "y", 365 * 86_400L) + Part(match, "mo", 30 * 86_400L) + Part(match, "w", 7 * 86_400L)
                + Part(match, "d", 86_400L) + Part(match, "h", 3600L) + Part(match, "mi", 60L) + Part(match, "s", 1L));
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^P(?:(?<y>\d{1,9})Y)?(?:(?<mo>\d{1,9})M)?(?:(?<w>\d{1,9})W)?(?:(?<d>\d{1,9})D)?(?:T(?:(?<h>\d{1,9})H)?(?:(?<mi>\d{1,9})M)?(?:(?<s>\d{1,9})S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
