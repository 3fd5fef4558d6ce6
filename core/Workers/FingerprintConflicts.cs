using System.Text.Json.Serialization;

namespace DurableWorkflow.Core.Workers;

/// <summary>A workflow type for which workers of one cohort advertise more than one definition fingerprint.</summary>
public sealed record FingerprintConflict(
    [property: JsonPropertyName("workflow_type")] string WorkflowType,
    [property: JsonPropertyName("fingerprint_count")] int FingerprintCount,
    [property: JsonPropertyName("fingerprints")] IReadOnlyList<string> Fingerprints);

public static class FingerprintConflicts
{
    /// <summary>Distinct (workflow type, fingerprint) pairs advertised across the given registrations.</summary>
    public static int DistinctCount(IEnumerable<IReadOnlyDictionary<string, string>> registrations) =>
        registrations.SelectMany(r => r).Distinct().Count();

    /// <summary>Types with two or more distinct fingerprints, ordered by type (ordinal).</summary>
    public static IReadOnlyList<FingerprintConflict> Of(IEnumerable<IReadOnlyDictionary<string, string>> registrations) =>
        [.. registrations
            .SelectMany(r => r)
            .GroupBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(g => (Type: g.Key, Fingerprints: g.Select(p => p.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            .Where(g => g.Fingerprints.Count > 1)
            .OrderBy(g => g.Type, StringComparer.Ordinal)
            .Select(g => new FingerprintConflict(g.Type, g.Fingerprints.Count, g.Fingerprints))];
}
