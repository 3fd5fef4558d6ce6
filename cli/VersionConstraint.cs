using System.Globalization;

namespace DurableWorkflow.Cli;

/// <summary>
/// Composer-style version constraints as servers advertise them in <c>client_compatibility.clients.cli.supported_versions</c>
/// (e.g. <c>&gt;=0.1,&lt;3.0</c>, <c>^2.0 || ^3.0</c>): comparisons joined by commas or spaces (and), alternatives by <c>||</c>.
/// Pre-release tags are ignored, so <c>2.0.0-rc.35</c> satisfies <c>&gt;=2.0</c>.
/// </summary>
public static class VersionConstraint
{
    /// <summary>True when <paramref name="version"/> satisfies the constraint; a constraint that cannot be parsed is not held against the client.</summary>
    public static bool Matches(string constraint, string version)
    {
        ArgumentNullException.ThrowIfNull(constraint);
        if (Parse(version) is not { } v)
        {
            return true;
        }

        foreach (var alternative in constraint.Split("||", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var terms = alternative.Split([',', ' '], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            bool? all = true;
            foreach (var term in terms)
            {
                var ok = Satisfies(term, v);
                if (ok is null)
                {
                    return true;
                }

                all &= ok;
            }

            if (all == true)
            {
                return true;
            }
        }

        return false;
    }

    private static bool? Satisfies(string term, int[] v)
    {
        if (term is "*" or "")
        {
            return true;
        }

        var op = new string([.. term.TakeWhile(c => c is '<' or '>' or '=' or '^' or '~' or '!')]);
        if (Parse(term[op.Length..]) is not { } bound)
        {
            return null;
        }

        var cmp = Compare(v, bound);
        return op switch
        {
            ">=" => cmp >= 0,
            ">" => cmp > 0,
            "<=" => cmp <= 0,
            "<" => cmp < 0,
            "!=" => cmp != 0,
            "" or "=" or "==" => cmp == 0,
            "^" => cmp >= 0 && v[0] == bound[0],
            "~" => cmp >= 0 && v[0] == bound[0] && v[1] == bound[1],
            _ => null,
        };
    }

    private static int Compare(int[] a, int[] b)
    {
        for (var i = 0; i < 3; i++)
        {
            if (a[i] != b[i])
            {
                return a[i].CompareTo(b[i]);
            }
        }

        return 0;
    }

    private static int[]? Parse(string text)
    {
        var core = text.Trim().TrimStart('v', 'V').Split('-', '+')[0];
        var parts = core.Split('.');
        if (parts.Length is 0 or > 3)
        {
            return null;
        }

        var numbers = new int[3];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return numbers;
    }
}
