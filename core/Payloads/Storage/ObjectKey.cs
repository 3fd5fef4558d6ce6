using System.Text;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// Object keys built from a policy prefix and server-chosen parts. The prefix is admin input, so every segment is
/// reduced to a safe alphabet and <c>.</c>/<c>..</c> segments are dropped: no key can leave the driver's root.
/// </summary>
public static class ObjectKey
{
    public static string Join(string? prefix, params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var segments = (prefix ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Concat(parts.SelectMany(p => p.Split('/', StringSplitOptions.RemoveEmptyEntries)))
            .Select(Clean)
            .Where(s => s.Length > 0 && s != "." && s != "..");
        return string.Join('/', segments);
    }

    private static string Clean(string segment)
    {
        var builder = new StringBuilder(segment.Length);
        foreach (var c in segment)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        return builder.ToString();
    }
}
