using System.CommandLine;

namespace DurableWorkflow.Cli;

/// <summary>The flags every server command accepts, and how they resolve against the environment.</summary>
public static class GlobalOptions
{
    public const string ServerEnv = "DURABLE_WORKFLOW_SERVER_URL";
    public const string NamespaceEnv = "DURABLE_WORKFLOW_NAMESPACE";
    public const string TokenEnv = "DURABLE_WORKFLOW_AUTH_TOKEN";
    public const string TlsVerifyEnv = "DURABLE_WORKFLOW_TLS_VERIFY";

    public static Option<string?> Server { get; } = new("--server", "-s") { Description = "Server URL (env DURABLE_WORKFLOW_SERVER_URL, default http://localhost:8080)", Recursive = true };

    public static Option<string?> Namespace { get; } = new("--namespace") { Description = "Namespace (env DURABLE_WORKFLOW_NAMESPACE, default 'default')", Recursive = true };

    public static Option<string?> Token { get; } = new("--token") { Description = "Bearer token (env DURABLE_WORKFLOW_AUTH_TOKEN)", Recursive = true };

    public static Option<string?> TlsVerify { get; } = new("--tls-verify") { Description = "Verify TLS certificates: true|false (env DURABLE_WORKFLOW_TLS_VERIFY)", Recursive = true };

    public static Option<string?> Output { get; } = new("--output") { Description = "Output mode: table, json or jsonl", Recursive = true };

    public static Option<bool> Json { get; } = new("--json") { Description = "Alias for --output=json", Recursive = true };

    public static IEnumerable<Option> All => [Server, Namespace, Token, TlsVerify, Output, Json];

    public static ConnectionSettings Resolve(ParseResult parse, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        var output = ResolveOutput(parse);
        var serverText = First(parse.GetValue(Server), environment(ServerEnv)) ?? ConnectionSettings.DefaultServer;
        if (!Uri.TryCreate(serverText.TrimEnd('/'), UriKind.Absolute, out var server) || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            throw CliException.Invalid($"Invalid server URL '{serverText}': expected http:// or https://.", "invalid_server_url");
        }

        var ns = First(parse.GetValue(Namespace), environment(NamespaceEnv)) ?? ConnectionSettings.DefaultNamespace;
        var token = First(parse.GetValue(Token), environment(TokenEnv));
        var tlsText = First(parse.GetValue(TlsVerify), environment(TlsVerifyEnv));
        var tls = tlsText is null || ParseBool(tlsText, "--tls-verify");
        return new ConnectionSettings(server, ns.Trim(), token, tls, output);
    }

    /// <summary>The output mode alone, so an error before the connection resolves can still be written as JSON.</summary>
    public static OutputMode ResolveOutput(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(Json))
        {
            return OutputMode.Json;
        }

        return parse.GetValue(Output)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "table" => OutputMode.Table,
            "json" => OutputMode.Json,
            "jsonl" => OutputMode.Jsonl,
            var other => throw CliException.Invalid($"Invalid output mode '{other}': expected table, json or jsonl.", "invalid_output_mode"),
        };
    }

    public static bool ParseBool(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "1" or "true" or "yes" or "on" => true,
            "0" or "false" or "no" or "off" => false,
            _ => throw CliException.Invalid($"Invalid value '{text}' for {what}: expected true or false."),
        };
    }

    private static string? First(string? flag, string? env) =>
        !string.IsNullOrWhiteSpace(flag) ? flag.Trim() : !string.IsNullOrWhiteSpace(env) ? env.Trim() : null;
}
