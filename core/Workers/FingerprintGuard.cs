namespace DurableWorkflow.Core.Workers;

/// <summary>
/// The re-registration rules for workflow definition fingerprints (worker protocol §2.1, rollout contract §6.1 steps 2
/// and 3, invariant 22).
/// </summary>
public static class FingerprintGuard
{
    /// <summary>
    /// Compares the request with the stored registration. Only an <c>active</c> registration is guarded: a draining
    /// worker id may come back with a new definition. On success, returns the fingerprints to store: the request's,
    /// plus stored ones of still-advertised types the request omits.
    /// </summary>
    public static FingerprintCheck Evaluate(ExistingRegistration? existing, RegistrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (existing is null)
        {
            return new FingerprintCheck(null, request.Fingerprints);
        }

        if (existing.Status == WorkerStatus.Active)
        {
            foreach (var (type, fingerprint) in request.Fingerprints)
            {
                if (existing.Fingerprints.TryGetValue(type, out var stored) && !string.Equals(stored, fingerprint, StringComparison.Ordinal))
                {
                    return new FingerprintCheck(type, []);
                }
            }
        }

        // "Still advertised" = the request's list, or the stored list when the request omits the key.
        var advertised = request.SupportedWorkflowTypes ?? existing.SupportedWorkflowTypes;
        var merged = new List<KeyValuePair<string, string>>(request.Fingerprints);
        var sent = request.Fingerprints.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var type in advertised.Distinct(StringComparer.Ordinal))
        {
            if (!sent.Contains(type) && existing.Fingerprints.TryGetValue(type, out var stored))
            {
                merged.Add(new(type, stored));
            }
        }

        return new FingerprintCheck(null, merged);
    }
}

/// <summary><see cref="ChangedWorkflowType"/> set = refuse with 409; otherwise store <see cref="Fingerprints"/>.</summary>
public sealed record FingerprintCheck(string? ChangedWorkflowType, IReadOnlyList<KeyValuePair<string, string>> Fingerprints);
