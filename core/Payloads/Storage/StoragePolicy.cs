using System.Text.Json;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>A namespace's stored external-storage policy (control-plane spec §3.5) as the drivers read it.</summary>
public sealed record StoragePolicy(string Driver, bool Enabled, int? ThresholdBytes, IReadOnlyDictionary<string, string> Config)
{
    public static readonly IReadOnlyList<string> Drivers = ["local", "s3", "gcs", "azure"];

    public string? Prefix => Config.GetValueOrDefault("prefix");

    public string? Bucket => Config.GetValueOrDefault("bucket");

    /// <summary>The policy of a namespace row; null when none was ever set (or the stored value names no driver).</summary>
    public static StoragePolicy? From(JsonElement? stored)
    {
        if (stored is not { ValueKind: JsonValueKind.Object } policy
            || !policy.TryGetProperty("driver", out var driver) || driver.ValueKind != JsonValueKind.String
            || driver.GetString() is not { Length: > 0 } name)
        {
            return null;
        }

        var enabled = !policy.TryGetProperty("enabled", out var flag) || flag.ValueKind != JsonValueKind.False;
        int? threshold = policy.TryGetProperty("threshold_bytes", out var bytes) && bytes.TryGetInt32(out var value) ? value : null;
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        if (policy.TryGetProperty("config", out var settings) && settings.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in settings.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } text)
                {
                    config[property.Name] = text;
                }
            }
        }

        return new StoragePolicy(name, enabled, threshold, config);
    }
}
