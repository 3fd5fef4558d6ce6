using System.Globalization;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Namespaces;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DurableWorkflow.Bootstrap;

public static class BootstrapSettings
{
    public static BootstrapOptions Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connection = configuration["DW_DB_CONNECTION"];
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new ConfigurationException("DW_DB_CONNECTION is required but not set.");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connection);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"DW_DB_CONNECTION is not a valid Npgsql connection string: {ex.Message}");
        }

        var ns = (configuration["DW_DEFAULT_NAMESPACE"] is { Length: > 0 } n ? n : "default").Trim().ToLowerInvariant();
        if (!NamespaceName.IsValid(ns))
        {
            throw new ConfigurationException($"DW_DEFAULT_NAMESPACE '{ns}' is not a valid namespace name.");
        }

        return new BootstrapOptions(
            connection,
            ns,
            Integer(configuration, "DW_BOOTSTRAP_RETRIES", 0, 0, 1000),
            TimeSpan.FromSeconds(Integer(configuration, "DW_BOOTSTRAP_DELAY_SECONDS", 2, 0, 600)));
    }

    /// <summary>One line naming the database and what went wrong, without the stack trace.</summary>
    public static string Describe(Exception ex, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var detail = ex is NpgsqlException && ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
        return string.Create(CultureInfo.InvariantCulture, $"PostgreSQL at {target.Host}:{target.Port}/{target.Database}: {detail}")
            .ReplaceLineEndings(" ");
    }

    private static int Integer(IConfiguration configuration, string name, int fallback, int min, int max)
    {
        var text = configuration[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ConfigurationException($"{name} must be an integer from {min} to {max}, got '{text}'.");
        }

        return value;
    }
}
