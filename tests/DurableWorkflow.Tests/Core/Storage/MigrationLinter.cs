using System.Text.RegularExpressions;

namespace DurableWorkflow.Tests.Core.Storage;

/// <summary>
/// Rejects migration statements that would break the previous release while it still serves traffic against the new
/// schema (rollout contract §2.1 and §11.2): destructive or renaming DDL, type changes, and new NOT NULL
/// constraints that old code does not satisfy. It also requires IF NOT EXISTS so a script can be re-run after a
/// journal loss.
/// </summary>
public static partial class MigrationLinter
{
    public static IReadOnlyList<string> Violations(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var violations = new List<string>();
        foreach (var statement in Statements(sql))
        {
            if (Drop().IsMatch(statement))
            {
                violations.Add($"DROP is not additive: {statement}");
            }

            if (Rename().IsMatch(statement))
            {
                violations.Add($"RENAME is not additive: {statement}");
            }

            if (TypeChange().IsMatch(statement))
            {
                violations.Add($"column type change is not additive: {statement}");
            }

            if (SetNotNull().IsMatch(statement))
            {
                violations.Add($"SET NOT NULL breaks writers that leave the column empty: {statement}");
            }

            if (Truncate().IsMatch(statement))
            {
                violations.Add($"TRUNCATE destroys data: {statement}");
            }

            foreach (Match column in AddColumn().Matches(statement))
            {
                var definition = column.Groups["definition"].Value;
                if (NotNull().IsMatch(definition) && !Default().IsMatch(definition))
                {
                    violations.Add($"NOT NULL column without DEFAULT: {statement}");
                }

                if (!column.Groups["ifnotexists"].Success)
                {
                    violations.Add($"ADD COLUMN without IF NOT EXISTS cannot be re-run: {statement}");
                }
            }

            if (CreateWithoutGuard().IsMatch(statement))
            {
                violations.Add($"CREATE without IF NOT EXISTS cannot be re-run: {statement}");
            }
        }

        return violations;
    }

    private static IEnumerable<string> Statements(string sql)
    {
        var withoutComments = BlockComment().Replace(LineComment().Replace(sql, string.Empty), string.Empty);
        return withoutComments.Split(';')
            .Select(s => Whitespace().Replace(s, " ").Trim())
            .Where(s => s.Length > 0);
    }

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\bDROP\b", RegexOptions.IgnoreCase)]
    private static partial Regex Drop();

    [GeneratedRegex(@"\bRENAME\b", RegexOptions.IgnoreCase)]
    private static partial Regex Rename();

    [GeneratedRegex(@"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b", RegexOptions.IgnoreCase)]
    private static partial Regex TypeChange();

    [GeneratedRegex(@"\bALTER\s+COLUMN\s+\S+\s+SET\s+NOT\s+NULL\b", RegexOptions.IgnoreCase)]
    private static partial Regex SetNotNull();

    [GeneratedRegex(@"\bTRUNCATE\b", RegexOptions.IgnoreCase)]
    private static partial Regex Truncate();

    [GeneratedRegex(@"\bADD\s+COLUMN\s+(?<ifnotexists>IF\s+NOT\s+EXISTS\s+)?(?<definition>[^,]+)", RegexOptions.IgnoreCase)]
    private static partial Regex AddColumn();

    [GeneratedRegex(@"\bNOT\s+NULL\b", RegexOptions.IgnoreCase)]
    private static partial Regex NotNull();

    [GeneratedRegex(@"\bDEFAULT\b", RegexOptions.IgnoreCase)]
    private static partial Regex Default();

    [GeneratedRegex(@"^\s*CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)\s+(?!IF\s+NOT\s+EXISTS)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateWithoutGuard();
}
