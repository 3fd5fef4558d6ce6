using System.Text.RegularExpressions;

namespace DurableWorkflow.Core.Configuration;

/// <summary>
/// The app's storage settings behind the namespace external-storage policy (control-plane spec §3.5, §11.1). The policy
/// names a driver and a prefix; where that driver writes is the operator's choice, never the API caller's: a directory
/// for <c>local</c>, an Azure Blob account for <c>azure</c> (a connection string for Azurite and development, or the
/// account URI with the app's managed identity on Azure).
/// </summary>
public sealed partial record PayloadStorageSettings
{
    public const string DefaultAzureContainer = "dw-payloads";

    /// <summary>Root directory of the <c>local</c> driver (<c>DW_STORAGE_LOCAL_ROOT</c>); unset = driver unavailable.</summary>
    public string? LocalRoot { get; init; }

    /// <summary>Azure Storage connection string (<c>DW_STORAGE_AZURE_CONNECTION_STRING</c>): Azurite and development.</summary>
    public string? AzureConnectionString { get; init; }

    /// <summary>Blob service URI for identity-based access (<c>DW_STORAGE_AZURE_ACCOUNT_URI</c>), e.g. <c>https://acct.blob.core.windows.net</c>.</summary>
    public Uri? AzureAccountUri { get; init; }

    /// <summary>Client id of a user-assigned managed identity (<c>DW_STORAGE_AZURE_CLIENT_ID</c>); unset = the default credential chain.</summary>
    public string? AzureClientId { get; init; }

    /// <summary>Container used when the policy names no <c>bucket</c> (<c>DW_STORAGE_AZURE_CONTAINER</c>).</summary>
    public string AzureContainer { get; init; } = DefaultAzureContainer;

    public bool AzureConfigured => AzureConnectionString is not null || AzureAccountUri is not null;

    public static bool IsValidContainerName(string name) => ContainerName().IsMatch(name) && !name.Contains("--", StringComparison.Ordinal);

    internal static PayloadStorageSettings Load(string? root, string? connection, string? uriText, string? clientId, string? container)
    {
        if (root is not null && !Path.IsPathFullyQualified(root))
        {
            throw new ConfigurationException($"DW_STORAGE_LOCAL_ROOT must be an absolute directory path (got '{root}').");
        }

        if (connection is not null && uriText is not null)
        {
            throw new ConfigurationException(
                "Set one of DW_STORAGE_AZURE_CONNECTION_STRING (Azurite, development) and DW_STORAGE_AZURE_ACCOUNT_URI (managed identity), not both.");
        }

        if (connection is not null)
        {
            ValidateConnectionString(connection);
        }

        Uri? accountUri = null;
        if (uriText is not null
            && (!Uri.TryCreate(uriText, UriKind.Absolute, out accountUri) || (accountUri.Scheme != Uri.UriSchemeHttps && accountUri.Scheme != Uri.UriSchemeHttp)))
        {
            throw new ConfigurationException($"DW_STORAGE_AZURE_ACCOUNT_URI must be an absolute https URI of a blob service (got '{uriText}').");
        }

        container ??= DefaultAzureContainer;
        if (!IsValidContainerName(container))
        {
            throw new ConfigurationException(
                $"DW_STORAGE_AZURE_CONTAINER must be a blob container name (3 to 63 lowercase letters, digits and single hyphens; got '{container}').");
        }

        return new PayloadStorageSettings
        {
            LocalRoot = root is null ? null : Path.GetFullPath(root),
            AzureConnectionString = connection,
            AzureAccountUri = accountUri,
            AzureClientId = clientId,
            AzureContainer = container,
        };
    }

    /// <summary>Parsing the string makes no request, so a bad one stops the server at start rather than failing every test.</summary>
    private static void ValidateConnectionString(string connection)
    {
        try
        {
            _ = new Azure.Storage.Blobs.BlobServiceClient(connection);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new ConfigurationException($"DW_STORAGE_AZURE_CONNECTION_STRING is not an Azure Storage connection string: {ex.Message}");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
