namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// The <c>local</c> driver: one file per object below <c>DW_STORAGE_LOCAL_ROOT</c>, referenced as a <c>file://</c>
/// URI. A write goes to a temporary file renamed into place, so a reader never sees half an object.
/// </summary>
public sealed class LocalDirectoryDriver(string root, string? prefix) : IPayloadStorageDriver
{
    private readonly string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    public string Name => "local";

    public async Task<string> PutAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var path = Path.Combine(root, ObjectKey.Join(prefix, key));
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81_920, useAsync: true))
            {
                await file.WriteAsync(payload, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PayloadStorageException($"Cannot write to the local payload directory: {ex.Message}", ex);
        }

        return new Uri(path).AbsoluteUri;
    }

    public async Task<byte[]> GetAsync(string referenceUri, CancellationToken cancellationToken)
    {
        var path = PathOf(referenceUri);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PayloadStorageException($"Cannot read {referenceUri}: {ex.Message}", ex);
        }
    }

    public Task DeleteAsync(string referenceUri, CancellationToken cancellationToken)
    {
        var path = PathOf(referenceUri);
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PayloadStorageException($"Cannot delete {referenceUri}: {ex.Message}", ex);
        }

        return Task.CompletedTask;
    }

    /// <summary>A reference is honoured only when it names a file below the root (a reference is data, not a path to trust).</summary>
    private string PathOf(string referenceUri)
    {
        if (!Uri.TryCreate(referenceUri, UriKind.Absolute, out var uri) || !uri.IsFile)
        {
            throw new PayloadStorageException($"{referenceUri} is not a file:// reference of the local driver.");
        }

        var path = Path.GetFullPath(uri.LocalPath);
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new PayloadStorageException($"{referenceUri} is outside the local payload directory.");
        }

        return path;
    }
}
