namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// One external payload store (control-plane spec §3.5, §11.1): writes bytes under a key and hands back the reference
/// URI the payload is read and deleted by. A driver instance is bound to one namespace policy (its prefix and bucket).
/// </summary>
public interface IPayloadStorageDriver
{
    /// <summary>The policy driver name: <c>local</c>, <c>azure</c>, ...</summary>
    string Name { get; }

    /// <summary>Stores <paramref name="payload"/> under <paramref name="key"/> (overwriting) and returns its reference URI.</summary>
    Task<string> PutAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>The bytes stored at a reference this driver returned; <see cref="PayloadStorageException"/> when unreadable.</summary>
    Task<byte[]> GetAsync(string referenceUri, CancellationToken cancellationToken);

    /// <summary>Removes the object; deleting one that is already gone is not an error.</summary>
    Task DeleteAsync(string referenceUri, CancellationToken cancellationToken);
}
