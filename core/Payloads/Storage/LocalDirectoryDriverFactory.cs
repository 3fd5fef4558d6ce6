using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>The <c>local</c> driver below <c>DW_STORAGE_LOCAL_ROOT</c>; unavailable while that is unset.</summary>
public sealed class LocalDirectoryDriverFactory(ServerSettings settings) : IPayloadStorageDriverFactory
{
    public string Driver => "local";

    public DriverResolution Create(StoragePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return settings.PayloadStorage.LocalRoot is { } root
            ? DriverResolution.Of(new LocalDirectoryDriver(root, policy.Prefix))
            : DriverResolution.Unavailable("DW_STORAGE_LOCAL_ROOT is not set on this server.");
    }
}
