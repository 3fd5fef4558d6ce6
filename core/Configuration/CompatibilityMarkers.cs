namespace DurableWorkflow.Core.Configuration;

/// <summary>Marker rules of rollout contract §5.1: exact string equality after trimming, <c>*</c> supports everything.</summary>
public static class CompatibilityMarkers
{
    public const string Wildcard = "*";

    /// <summary>The trimmed marker, or null for null, empty or whitespace (unmarked).</summary>
    public static string? Normalize(string? marker) => string.IsNullOrWhiteSpace(marker) ? null : marker.Trim();

    /// <summary>True when an unmarked value is required, or the list holds the marker or the wildcard.</summary>
    public static bool Supports(IReadOnlyCollection<string> supported, string? marker)
    {
        ArgumentNullException.ThrowIfNull(supported);
        var required = Normalize(marker);
        return required is null || supported.Contains(Wildcard) || supported.Contains(required);
    }

    /// <summary>Comma-separated, trimmed, de-duplicated; empty → <c>[current]</c> or <c>[]</c>; any <c>*</c> → <c>["*"]</c>.</summary>
    public static IReadOnlyList<string> ParseSupported(string? value, string? current)
    {
        var markers = (value ?? string.Empty)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (markers.Contains(Wildcard))
        {
            return [Wildcard];
        }

        return markers.Count > 0 ? markers : Normalize(current) is { } only ? [only] : [];
    }
}
