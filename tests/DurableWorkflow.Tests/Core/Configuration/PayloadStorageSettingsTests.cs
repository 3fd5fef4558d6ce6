using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DurableWorkflow.Tests.Core.Configuration;

/// <summary>The <c>DW_STORAGE_*</c> and <c>DW_BRIDGE_ADAPTERS</c> settings: defaults and start-time validation.</summary>
public class PayloadStorageSettingsTests
{
    private const string Azurite =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    private static ServerSettings Load(params (string Key, string? Value)[] values)
    {
        var data = new Dictionary<string, string?> { ["DW_DB_CONNECTION"] = "Host=127.0.0.1;Database=dw" };
        foreach (var (key, value) in values)
        {
            data[key] = value;
        }

        return ServerSettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(data).Build());
    }

    [Fact]
    public void defaults_configure_no_driver_and_serve_every_adapter_unsigned()
    {
        var settings = Load();

        Assert.Null(settings.PayloadStorage.LocalRoot);
        Assert.False(settings.PayloadStorage.AzureConfigured);
        Assert.Equal("dw-payloads", settings.PayloadStorage.AzureContainer);
        Assert.Null(settings.Bridge.Adapters);
    }

    [Fact]
    public void valid_values_are_parsed()
    {
        var settings = Load(
            ("DW_STORAGE_LOCAL_ROOT", "/var/lib/dw/payloads/"),
            ("DW_STORAGE_AZURE_ACCOUNT_URI", "https://acct.blob.core.windows.net"),
            ("DW_STORAGE_AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
            ("DW_STORAGE_AZURE_CONTAINER", "payloads-prod"),
            ("DW_BRIDGE_ADAPTERS", "stripe=whsec=abc, github"));

        Assert.Equal("/var/lib/dw/payloads/", settings.PayloadStorage.LocalRoot);
        Assert.Equal(new Uri("https://acct.blob.core.windows.net"), settings.PayloadStorage.AzureAccountUri);
        Assert.Equal("payloads-prod", settings.PayloadStorage.AzureContainer);
        Assert.Equal("whsec=abc", settings.Bridge.Adapters!["stripe"]);
        Assert.Null(settings.Bridge.Adapters["github"]);
        Assert.True(Load(("DW_STORAGE_AZURE_CONNECTION_STRING", Azurite)).PayloadStorage.AzureConfigured);
    }

    [Theory]
    [InlineData("DW_STORAGE_LOCAL_ROOT", "relative/dir")]
    [InlineData("DW_STORAGE_AZURE_CONNECTION_STRING", "not a connection string")]
    [InlineData("DW_STORAGE_AZURE_ACCOUNT_URI", "ftp://acct.blob.core.windows.net")]
    [InlineData("DW_STORAGE_AZURE_ACCOUNT_URI", "acct.blob.core.windows.net")]
    [InlineData("DW_STORAGE_AZURE_CONTAINER", "Upper_Case")]
    [InlineData("DW_STORAGE_AZURE_CONTAINER", "ab")]
    [InlineData("DW_STORAGE_AZURE_CONTAINER", "double--hyphen")]
    [InlineData("DW_BRIDGE_ADAPTERS", "bad adapter")]
    [InlineData("DW_BRIDGE_ADAPTERS", "stripe=")]
    [InlineData("DW_BRIDGE_ADAPTERS", "stripe,stripe=x")]
    public void invalid_settings_fail_with_a_message_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load((key, value)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_connection_string_and_an_account_uri_together_are_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(
            ("DW_STORAGE_AZURE_CONNECTION_STRING", Azurite),
            ("DW_STORAGE_AZURE_ACCOUNT_URI", "https://acct.blob.core.windows.net")));

        Assert.Contains("DW_STORAGE_AZURE_ACCOUNT_URI", error.Message, StringComparison.Ordinal);
    }
}
