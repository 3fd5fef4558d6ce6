using System.Collections.Concurrent;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Namespaces;

/// <summary>
/// The per-node answer to "does this namespace exist?" that the request pipeline asks on every namespaced request.
/// Rules: only a positive answer is kept, for <see cref="ServerSettings.NamespaceCacheSeconds"/>, so a namespace
/// created on any node is found on the next request here (a miss always asks the database). The server never deletes a
/// namespace; one removed by hand in the database is refused here at the latest when its entry expires. Entries are
/// bounded by the namespaces that exist, since unknown names are never stored.
/// </summary>
public sealed class NamespaceExistenceCache(NamespaceRepository repository, ServerSettings settings, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, long> expiresAt = new(StringComparer.Ordinal);

    public async ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (expiresAt.TryGetValue(name, out var until) && clock.GetTimestamp() < until)
        {
            return true;
        }

        var exists = await repository.ExistsAsync(name, cancellationToken);
        if (exists)
        {
            Remember(name);
        }
        else
        {
            expiresAt.TryRemove(name, out _);
        }

        return exists;
    }

    private void Remember(string name)
    {
        if (settings.NamespaceCacheSeconds > 0)
        {
            expiresAt[name] = clock.GetTimestamp() + (long)(settings.NamespaceCacheSeconds * (double)clock.TimestampFrequency);
        }
    }
}
