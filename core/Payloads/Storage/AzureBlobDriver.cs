using Azure;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// The <c>azure</c> driver: one block blob per object in the policy's container (its <c>bucket</c>, else
/// <c>DW_STORAGE_AZURE_CONTAINER</c>), referenced by the blob's URI. The container is created on first write.
/// </summary>
public sealed class AzureBlobDriver(BlobContainerClient container, string? prefix) : IPayloadStorageDriver
{
    private int containerReady;

    public string Name => "azure";

    public async Task<string> PutAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(ObjectKey.Join(prefix, key));
        try
        {
            if (Volatile.Read(ref containerReady) == 0)
            {
                await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                Volatile.Write(ref containerReady, 1);
            }

            await blob.UploadAsync(BinaryData.FromBytes(payload), overwrite: true, cancellationToken);
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw new PayloadStorageException($"Azure Blob Storage refused the write ({Describe(ex)}).", ex);
        }

        return blob.Uri.AbsoluteUri;
    }

    public async Task<byte[]> GetAsync(string referenceUri, CancellationToken cancellationToken)
    {
        var blob = BlobOf(referenceUri);
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToArray();
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw new PayloadStorageException($"Azure Blob Storage refused the read of {referenceUri} ({Describe(ex)}).", ex);
        }
    }

    public async Task DeleteAsync(string referenceUri, CancellationToken cancellationToken)
    {
        var blob = BlobOf(referenceUri);
        try
        {
            await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw new PayloadStorageException($"Azure Blob Storage refused the delete of {referenceUri} ({Describe(ex)}).", ex);
        }
    }

    /// <summary>
    /// What the SDK throws when the account answers with an error, cannot be reached (retries exhausted: an
    /// <see cref="AggregateException"/>), or the identity gets no token.
    /// </summary>
    private static bool IsStoreFailure(Exception ex) =>
        ex is RequestFailedException or AggregateException or HttpRequestException or AuthenticationFailedException or CredentialUnavailableException;

    private static string Describe(Exception ex) => ex is RequestFailedException failed ? $"{failed.Status} {failed.ErrorCode}" : ex.Message;

    /// <summary>A reference is honoured only when it names a blob of this driver's container.</summary>
    private BlobClient BlobOf(string referenceUri)
    {
        if (!Uri.TryCreate(referenceUri, UriKind.Absolute, out var uri))
        {
            throw new PayloadStorageException($"{referenceUri} is not a blob URI.");
        }

        var containerUri = container.Uri.AbsoluteUri.TrimEnd('/') + "/";
        if (!uri.AbsoluteUri.StartsWith(containerUri, StringComparison.Ordinal))
        {
            throw new PayloadStorageException($"{referenceUri} is not in container {container.Name}.");
        }

        return container.GetBlobClient(new BlobUriBuilder(uri).BlobName);
    }
}
