namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// The drivers this runtime has, by policy name. <c>s3</c> and <c>gcs</c> have none, so a policy naming them resolves
/// to <c>storage_driver_unavailable</c>. The last factory registered for a name wins.
/// </summary>
public sealed class PayloadStorageDrivers(IEnumerable<IPayloadStorageDriverFactory> factories)
{
    private readonly Dictionary<string, IPayloadStorageDriverFactory> byName =
        factories.GroupBy(f => f.Driver, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    public DriverResolution Resolve(StoragePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return byName.TryGetValue(policy.Driver, out var factory)
            ? factory.Create(policy)
            : DriverResolution.Unavailable($"The {policy.Driver} driver is not available in this server runtime.");
    }
}
