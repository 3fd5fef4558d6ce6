using System.Globalization;
using System.Text;

namespace DurableWorkflow.Core.Storage;

/// <summary>Renumbering of positional placeholders, so one owner's SQL can ride behind another's in one statement.</summary>
public static class SqlParameters
{
    /// <summary><paramref name="sql"/> with every <c>$n</c> renumbered to <c>$(n + shift)</c>.</summary>
    public static string NumberFrom(string sql, int shift)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var numbered = new StringBuilder(sql.Length + 16);
        for (var i = 0; i < sql.Length; i++)
        {
            numbered.Append(sql[i]);
            var end = i + 1;
            while (sql[i] == '$' && end < sql.Length && char.IsAsciiDigit(sql[end]))
            {
                end++;
            }

            if (end > i + 1)
            {
                numbered.Append((int.Parse(sql.AsSpan(i + 1, end - i - 1), CultureInfo.InvariantCulture) + shift).ToString(CultureInfo.InvariantCulture));
                i = end - 1;
            }
        }

        return numbered.ToString();
    }
}
