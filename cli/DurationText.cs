using System.Globalization;
using System.Xml;

namespace DurableWorkflow.Cli;

/// <summary>Durations on the command line: <c>90</c> (seconds), <c>90s</c>, <c>5m</c>, <c>1h</c>, <c>500ms</c> or ISO-8601 <c>PT5M</c>.</summary>
public static class DurationText
{
    public static TimeSpan Parse(string text, string flag)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        TimeSpan? result = null;
        if (value.StartsWith('P') || value.StartsWith('p'))
        {
            try
            {
                result = XmlConvert.ToTimeSpan(value.ToUpperInvariant());
            }
            catch (FormatException)
            {
                result = null;
            }
        }
        else
        {
            var unit = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? "ms" : value.Length > 0 && char.IsLetter(value[^1]) ? value[^1..].ToLowerInvariant() : "s";
            var number = unit == "s" && !value.EndsWith('s') ? value : value[..^unit.Length];
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
            {
                result = unit switch
                {
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    _ => null,
                };
            }
        }

        return result is { } duration && duration > TimeSpan.Zero
            ? duration
            : throw CliException.Invalid($"Invalid duration '{text}' for {flag}: use seconds, 90s, 5m, 1h or PT5M.");
    }
}
