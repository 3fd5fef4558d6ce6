namespace DurableWorkflow.Core.Http;

/// <summary>
/// Picks the request namespace: <c>X-Namespace</c>, else <c>?namespace=</c>, else the configured default, lower-cased.
/// A present but empty header selects the empty name, so a typo never silently lands in the default namespace.
/// </summary>
public static class NamespaceSelector
{
    public static string Select(string? header, bool headerPresent, string? query, string defaultNamespace)
    {
        if (headerPresent)
        {
            return (header ?? string.Empty).Trim().ToLowerInvariant();
        }

        if (!string.IsNullOrWhiteSpace(query))
        {
            return query.Trim().ToLowerInvariant();
        }

        return defaultNamespace;
    }
}
