namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>Makes the driver a namespace policy asks for, or says why this runtime cannot.</summary>
public interface IPayloadStorageDriverFactory
{
    /// <summary>The policy driver name this factory serves.</summary>
    string Driver { get; }

    DriverResolution Create(StoragePolicy policy);
}

/// <summary>A usable driver, or the configuration error that makes the policy's driver unavailable here.</summary>
public sealed record DriverResolution(IPayloadStorageDriver? Driver, string? ConfigurationError)
{
    public static DriverResolution Of(IPayloadStorageDriver driver) => new(driver, null);

    public static DriverResolution Unavailable(string error) => new(null, error);
}
