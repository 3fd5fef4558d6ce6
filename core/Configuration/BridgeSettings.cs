using System.Text.RegularExpressions;

namespace DurableWorkflow.Core.Configuration;

/// <summary>
/// The bridge webhook's adapters (<c>DW_BRIDGE_ADAPTERS</c>, control-plane spec §11.2): unset serves every well-formed
/// adapter name without a signature; set, it is a comma-separated list of <c>name</c> or <c>name=secret</c> entries, only
/// listed adapters are served (<c>adapter_unavailable</c> otherwise) and an adapter with a secret must sign each event.
/// </summary>
public sealed partial record BridgeSettings
{
    /// <summary>Adapter name → signing secret (null: unsigned); null when every adapter is served.</summary>
    public IReadOnlyDictionary<string, string?>? Adapters { get; init; }

    /// <summary>Adapter names as the route accepts them (upstream's rule).</summary>
    public static bool IsValidAdapterName(string name) => AdapterName().IsMatch(name) && name.Length <= 255;

    internal static BridgeSettings Load(string? value)
    {
        if (value is null)
        {
            return new BridgeSettings();
        }

        var adapters = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = entry.IndexOf('=', StringComparison.Ordinal);
            var name = separator < 0 ? entry : entry[..separator].Trim();
            var secret = separator < 0 ? null : entry[(separator + 1)..].Trim();
            if (!IsValidAdapterName(name) || secret is { Length: 0 } || !adapters.TryAdd(name, secret))
            {
                throw new ConfigurationException(
                    $"DW_BRIDGE_ADAPTERS must be a comma-separated list of distinct adapter names (letters, digits, '.', '_', ':', '-'), each optionally '=secret' (bad entry '{name}').");
            }
        }

        return new BridgeSettings { Adapters = adapters };
    }

    [GeneratedRegex("^[a-zA-Z0-9._:-]+$")]
    private static partial Regex AdapterName();
}
