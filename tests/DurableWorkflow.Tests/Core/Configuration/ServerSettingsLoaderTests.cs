using DurableWorkflow.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DurableWorkflow.Tests.Core.Configuration;

public class ServerSettingsLoaderTests
{
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
    public void defaults_match_the_documented_table()
    {
        var settings = Load();

        Assert.Equal(AuthDriver.Token, settings.Auth.Driver);
        Assert.Equal("default", settings.DefaultNamespace);
        Assert.Null(settings.RedisConnection);
        Assert.False(settings.MultiNode);
        Assert.Equal(2_097_152, settings.MaxPayloadBytes);
        Assert.Equal("1.1", settings.WorkerProtocolVersion);
        Assert.Equal(30, settings.WorkerPollTimeoutSeconds);
        Assert.Equal(ReadyCachePolicy.Warning, settings.ReadyCachePolicy);
        Assert.True(settings.SchedulerEnabled);
        Assert.Equal("standalone_server", settings.TopologyShape);
        Assert.Equal("server_http_node", settings.ProcessClass);
        Assert.Equal(ServerVersion.Current, settings.ServerBuildId);
    }

    [Theory]
    [InlineData("DW_DB_CONNECTION", "")]
    [InlineData("DW_DB_CONNECTION", "not a connection string")]
    [InlineData("DW_AUTH_DRIVER", "signature-ish")]
    [InlineData("DW_V2_MULTI_NODE", "maybe")]
    [InlineData("DW_MAX_PAYLOAD_BYTES", "lots")]
    [InlineData("DW_WORKER_PROTOCOL_VERSION", "2.0")]
    [InlineData("DW_WORKER_PROTOCOL_VERSION", "1")]
    [InlineData("DW_WORKER_POLL_TIMEOUT", "61")]
    [InlineData("DW_DEFAULT_NAMESPACE", "no spaces allowed")]
    [InlineData("DW_READY_CACHE_POLICY", "sometimes")]
    [InlineData("DW_REDIS_CONNECTION", "abortConnect=false")]
    [InlineData("DW_SERVER_TOPOLOGY_SHAPE", "mesh")]
    [InlineData("DW_SERVER_PROCESS_CLASS", "matching_node")]
    public void invalid_settings_fail_with_a_message_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load((key, value)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void boot_admission_settings_default_as_documented_and_are_normalised_once()
    {
        var defaults = Load();
        var set = Load(
            ("DW_V2_VALIDATE_CACHE_BACKEND", "off"),
            ("DW_V2_CACHE_VALIDATION_MODE", " SILENT "),
            ("DW_V2_GUARDRAILS_BOOT", "Fail"));

        Assert.True(defaults.ValidateCacheBackend);
        Assert.Equal(CacheValidationMode.Warn, defaults.CacheValidationMode);
        Assert.Equal(GuardrailsBootMode.Warn, defaults.GuardrailsBoot);
        Assert.False(set.ValidateCacheBackend);
        Assert.Equal(CacheValidationMode.Silent, set.CacheValidationMode);
        Assert.Equal(GuardrailsBootMode.Throw, set.GuardrailsBoot);
        Assert.Equal(CacheValidationMode.Fail, Load(("DW_V2_CACHE_VALIDATION_MODE", "fail")).CacheValidationMode);
        Assert.Equal(GuardrailsBootMode.Silent, Load(("DW_V2_GUARDRAILS_BOOT", "silent")).GuardrailsBoot);
    }

    [Theory]
    [InlineData("DW_V2_VALIDATE_CACHE_BACKEND", "perhaps")]
    [InlineData("DW_V2_CACHE_VALIDATION_MODE", "loud")]
    [InlineData("DW_V2_GUARDRAILS_BOOT", "abort")]
    public void invalid_boot_admission_settings_name_the_setting(string key, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load((key, value)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void values_are_parsed_and_normalised()
    {
        var settings = Load(
            ("DW_AUTH_DRIVER", "NONE"),
            ("DW_DEFAULT_NAMESPACE", "Billing"),
            ("DW_V2_MULTI_NODE", "yes"),
            ("DW_REDIS_CONNECTION", "127.0.0.1:6379"),
            ("DW_WORKER_PROTOCOL_VERSION", "1.10"),
            ("DW_READY_CACHE_POLICY", "warning"),
            ("DW_SERVER_BUILD_ID", "build-42"),
            ("DW_ADMIN_TOKEN", "   "));

        Assert.Equal(AuthDriver.None, settings.Auth.Driver);
        Assert.Equal("billing", settings.DefaultNamespace);
        Assert.True(settings.MultiNode);
        Assert.Equal("1.10", settings.WorkerProtocolVersion);
        Assert.Equal(ReadyCachePolicy.Warning, settings.ReadyCachePolicy);
        Assert.Equal("build-42", settings.ServerBuildId);
        Assert.Null(settings.Auth.AdminToken);
    }

    [Fact]
    public void the_database_pool_is_capped_at_DW_DB_MAX_POOL_SIZE()
    {
        Assert.Equal(20, Load().DatabaseMaxPoolSize);
        Assert.Equal(20, new Npgsql.NpgsqlConnectionStringBuilder(Load().DatabaseConnection).MaxPoolSize);

        var settings = Load(("DW_DB_CONNECTION", "Host=127.0.0.1;Database=dw;Maximum Pool Size=100"), ("DW_DB_MAX_POOL_SIZE", "8"));

        Assert.Equal(8, settings.DatabaseMaxPoolSize);
        Assert.Equal(8, new Npgsql.NpgsqlConnectionStringBuilder(settings.DatabaseConnection).MaxPoolSize);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("twenty")]
    public void an_invalid_DW_DB_MAX_POOL_SIZE_fails_at_start_naming_it(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(("DW_DB_MAX_POOL_SIZE", value)));

        Assert.Contains("DW_DB_MAX_POOL_SIZE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_minimum_pool_above_DW_DB_MAX_POOL_SIZE_fails_at_start()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            Load(("DW_DB_CONNECTION", "Host=127.0.0.1;Database=dw;Minimum Pool Size=30"), ("DW_DB_MAX_POOL_SIZE", "10")));

        Assert.Contains("DW_DB_MAX_POOL_SIZE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void the_connection_skips_the_reset_on_close_and_auto_prepares_unless_the_operator_says_otherwise()
    {
        var defaults = new Npgsql.NpgsqlConnectionStringBuilder(Load().DatabaseConnection);
        var explicitValues = new Npgsql.NpgsqlConnectionStringBuilder(Load(
            ("DW_DB_CONNECTION", "Host=127.0.0.1;Database=dw;NoResetOnClose=false;max auto prepare=0;Auto Prepare Min Usages=7")).DatabaseConnection);

        Assert.True(defaults.NoResetOnClose);
        Assert.Equal(ConnectionDefaults.MaxAutoPrepare, defaults.MaxAutoPrepare);
        Assert.Equal(ConnectionDefaults.AutoPrepareMinUsages, defaults.AutoPrepareMinUsages);
        Assert.False(explicitValues.NoResetOnClose);
        Assert.Equal(0, explicitValues.MaxAutoPrepare);
        Assert.Equal(7, explicitValues.AutoPrepareMinUsages);
    }

    [Fact]
    public void the_namespace_cache_lives_60_seconds_by_default_and_0_turns_it_off()
    {
        Assert.Equal(60, Load().NamespaceCacheSeconds);
        Assert.Equal(0, Load(("DW_NAMESPACE_CACHE_SECONDS", "0")).NamespaceCacheSeconds);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("3601")]
    [InlineData("soon")]
    public void an_invalid_DW_NAMESPACE_CACHE_SECONDS_fails_at_start_naming_it(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(("DW_NAMESPACE_CACHE_SECONDS", value)));

        Assert.Contains("DW_NAMESPACE_CACHE_SECONDS", error.Message, StringComparison.Ordinal);
    }
}
