using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// The <c>azure</c> driver over one <see cref="BlobServiceClient"/> per process: from
/// <c>DW_STORAGE_AZURE_CONNECTION_STRING</c> (Azurite, development) or <c>DW_STORAGE_AZURE_ACCOUNT_URI</c> with the app's
/// identity (the user-assigned managed identity <c>DW_STORAGE_AZURE_CLIENT_ID</c> when set, else the default chain).
/// </summary>
public sealed class AzureBlobDriverFactory(ServerSettings settings) : IPayloadStorageDriverFactory
{
    private readonly Lazy<BlobServiceClient?> service = new(() => CreateService(settings.PayloadStorage));

    public string Driver => "azure";

    public DriverResolution Create(StoragePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (service.Value is not { } client)
        {
            return DriverResolution.Unavailable("Neither DW_STORAGE_AZURE_CONNECTION_STRING nor DW_STORAGE_AZURE_ACCOUNT_URI is set on this server.");
        }

        var container = policy.Bucket ?? settings.PayloadStorage.AzureContainer;
        return PayloadStorageSettings.IsValidContainerName(container)
            ? DriverResolution.Of(new AzureBlobDriver(client.GetBlobContainerClient(container), policy.Prefix))
            : DriverResolution.Unavailable($"The policy bucket '{container}' is not a valid blob container name.");
    }

    private static BlobServiceClient? CreateService(PayloadStorageSettings storage)
    {
        var options = new BlobClientOptions();
        // A diagnostic round trip should fail within seconds when the account is unreachable, not after minutes.
        options.Retry.MaxRetries = 2;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        if (storage.AzureConnectionString is { } connection)
        {
            return new BlobServiceClient(connection, options);
        }

        if (storage.AzureAccountUri is { } account)
        {
            TokenCredential credential = storage.AzureClientId is { } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new DefaultAzureCredential();
            return new BlobServiceClient(account, credential, options);
        }

        return null;
    }
}
