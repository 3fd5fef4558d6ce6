using System.Globalization;
using System.Text.RegularExpressions;

namespace DurableWorkflow.Tests.Core.Discovery;

/// <summary>
/// The CLI's check of its own build against <c>client_compatibility.clients.cli.supported_versions</c>
/// (control-plane spec §2.3.4): <c>||</c> separates alternatives, <c>,</c> joins requirements; a pre-release on
/// either side switches the comparison to PHP <c>version_compare</c>, otherwise numeric triples are compared.
/// </summary>
internal static partial class CliVersionConstraint
{
    public static bool Matches(string version, string constraint)
    {
        var parsed = VersionPattern().Match(version.Trim());
        if (!parsed.Success)
        {
            return false;
        }

        foreach (var alternative in constraint.Trim().Split("||"))
        {
            var requirements = alternative.Split(',').Select(r => r.Trim()).Where(r => r.Length > 0).ToArray();
            if (requirements.Length > 0 && requirements.All(r => MatchesRequirement(parsed, r)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesRequirement(Match version, string requirement)
    {
        if (requirement is "*" or "x")
        {
            return true;
        }

        var (major, minor, patch) = Triple(version);
        var wildcard = WildcardPattern().Match(requirement);
        if (wildcard.Success)
        {
            return major == Number(wildcard.Groups[1])
                && (!wildcard.Groups[2].Success || minor == Number(wildcard.Groups[2]));
        }

        var required = RequirementPattern().Match(requirement);
        if (!required.Success)
        {
            return false;
        }

        var requiredVersion = required.Groups[2];
        var comparison = version.Groups[4].Success || requiredVersion.Value.Contains('-', StringComparison.Ordinal)
            ? PhpVersionCompare(version.Value, requiredVersion.Value)
            : (major, minor, patch).CompareTo(Triple(VersionPattern().Match(requiredVersion.Value)));

        return required.Groups[1].Value switch
        {
            "<" => comparison < 0,
            "<=" => comparison <= 0,
            ">" => comparison > 0,
            ">=" => comparison >= 0,
            _ => comparison == 0,
        };
    }

    /// <summary>PHP <c>version_compare</c>: canonicalise, then compare dot-separated parts numerically or by special form.</summary>
    internal static int PhpVersionCompare(string left, string right)
    {
        var a = Canonicalize(left).Split('.');
        var b = Canonicalize(right).Split('.');
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var compare = ComparePart(a[i], b[i]);
            if (compare != 0)
            {
                return compare;
            }
        }

        if (a.Length == b.Length)
        {
            return 0;
        }

        // A longer version wins when its extra part is a number and loses when it is a pre-release marker such as "rc".
        return a.Length > b.Length ? CompareExtraPart(a[b.Length]) : -CompareExtraPart(b[a.Length]);
    }

    private static int CompareExtraPart(string part) =>
        part.Length > 0 && char.IsAsciiDigit(part[0]) ? 1 : Math.Sign(SpecialFormRank(part) - SpecialFormRank("#"));

    private static int ComparePart(string a, string b)
    {
        var aNumeric = a.Length > 0 && char.IsAsciiDigit(a[0]);
        var bNumeric = b.Length > 0 && char.IsAsciiDigit(b[0]);
        if (aNumeric && bNumeric)
        {
            return Math.Sign(long.Parse(a, CultureInfo.InvariantCulture).CompareTo(long.Parse(b, CultureInfo.InvariantCulture)));
        }

        return Math.Sign(SpecialFormRank(aNumeric ? "#" : a) - SpecialFormRank(bNumeric ? "#" : b));
    }

    private static int SpecialFormRank(string part)
    {
        (string Prefix, int Rank)[] forms =
            [("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5)];
        foreach (var (prefix, rank) in forms)
        {
            if (part.StartsWith(prefix, StringComparison.Ordinal))
            {
                return rank;
            }
        }

        return -6;
    }

    private static string Canonicalize(string version)
    {
        var result = new System.Text.StringBuilder();
        char? previous = null;
        foreach (var c in version)
        {
            var needsSeparator = !char.IsAsciiLetterOrDigit(c)
                || (previous is { } p && p != '.' && char.IsAsciiDigit(p) != char.IsAsciiDigit(c));
            if (needsSeparator && result.Length > 0 && result[^1] != '.')
            {
                result.Append('.');
            }

            if (char.IsAsciiLetterOrDigit(c))
            {
                result.Append(c);
            }

            previous = c;
        }

        return result.ToString();
    }

    private static (int Major, int Minor, int Patch) Triple(Match match) =>
        (Number(match.Groups[1]), Number(match.Groups[2]), Number(match.Groups[3]));

    private static int Number(Group group) =>
        group.Success ? int.Parse(group.Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^v?(\d+)\.(?:(\d+)\.)?(?:x|\*)$")]
    private static partial Regex WildcardPattern();

    [GeneratedRegex(@"^(<=|>=|<|>|=)?\s*v?(\d+(?:\.\d+)?(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?)")]
    private static partial Regex RequirementPattern();
}
