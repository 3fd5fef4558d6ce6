using System.CommandLine;
using DurableWorkflow.Cli.Profiles;

namespace DurableWorkflow.Cli;

/// <summary>
/// The flags every server command accepts, and how they resolve: flag, then environment variable, then the selected
/// profile (<c>--env</c>, else <c>DW_ENV</c>, else the one chosen by <c>dw env:use</c>), then the built-in default.
/// </summary>
public static class GlobalOptions
{
    public const string ServerEnv = "DURABLE_WORKFLOW_SERVER_URL";
    public const string NamespaceEnv = "DURABLE_WORKFLOW_NAMESPACE";
    public const string TokenEnv = "DURABLE_WORKFLOW_AUTH_TOKEN";
    public const string TlsVerifyEnv = "DURABLE_WORKFLOW_TLS_VERIFY";
    public const string ControlPlaneVersionEnv = "DURABLE_WORKFLOW_CONTROL_PLANE_VERSION";
    public const string WorkerProtocolVersionEnv = "DURABLE_WORKFLOW_WORKER_PROTOCOL_VERSION";
    public const string ProfileEnv = "DW_ENV";

    public static Option<string?> Server { get; } = new("--server", "-s") { Description = "Server URL (env DURABLE_WORKFLOW_SERVER_URL, default http://localhost:8080)", Recursive = true };

    public static Option<string?> Namespace { get; } = new("--namespace") { Description = "Namespace (env DURABLE_WORKFLOW_NAMESPACE, default 'default')", Recursive = true };

    public static Option<string?> Token { get; } = new("--token") { Description = "Bearer token (env DURABLE_WORKFLOW_AUTH_TOKEN)", Recursive = true };

    public static Option<string?> TlsVerify { get; } = new("--tls-verify") { Description = "Verify TLS certificates: true|false (env DURABLE_WORKFLOW_TLS_VERIFY)", Recursive = true };

    public static Option<string?> Env { get; } = new("--env") { Description = "Named dw environment profile (env DW_ENV, else the one set by `dw env:use`); unknown names fail", Recursive = true };

    public static Option<string?> Output { get; } = new("--output") { Description = "Output mode: table, json or jsonl", Recursive = true };

    public static Option<bool> Json { get; } = new("--json") { Description = "Alias for --output=json", Recursive = true };

    public static IEnumerable<Option> All => [Server, Namespace, Token, TlsVerify, Env, Output, Json];

    public static ConnectionSettings Resolve(ParseResult parse, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        var profile = SelectProfile(parse, environment);
        var output = ResolveOutput(parse, profile);
        var serverText = First(parse.GetValue(Server), environment(ServerEnv)) ?? profile?.Server ?? ConnectionSettings.DefaultServer;
        if (!Uri.TryCreate(serverText.TrimEnd('/'), UriKind.Absolute, out var server) || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            throw CliException.Invalid($"Invalid server URL '{serverText}': expected http:// or https://.", "invalid_server_url");
        }

        var ns = First(parse.GetValue(Namespace), environment(NamespaceEnv)) ?? profile?.Namespace ?? ConnectionSettings.DefaultNamespace;
        var token = First(parse.GetValue(Token), environment(TokenEnv)) ?? profile?.ResolveToken(environment);
        var tlsText = First(parse.GetValue(TlsVerify), environment(TlsVerifyEnv));
        var tls = tlsText is null ? profile?.TlsVerify ?? true : ParseBool(tlsText, "--tls-verify");
        return new ConnectionSettings(
            server,
            ns.Trim(),
            token,
            tls,
            output,
            First(null, environment(ControlPlaneVersionEnv)) ?? ConnectionSettings.DefaultControlPlaneVersion,
            First(null, environment(WorkerProtocolVersionEnv)) ?? ConnectionSettings.DefaultWorkerProtocolVersion);
    }

    /// <summary>
    /// The profile in force: <c>--env</c>, else <c>DW_ENV</c>, else the config's current env. Every one of these names a
    /// profile explicitly, so a missing profile is an error rather than a silent fall back to the defaults.
    /// </summary>
    public static Profile? SelectProfile(ParseResult parse, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        var store = ProfileStore.FromEnvironment(environment);
        if (First(parse.GetValue(Env), null) is { } flag)
        {
            return store.Require(flag, "--env");
        }

        if (First(null, environment(ProfileEnv)) is { } variable)
        {
            return store.Require(variable, ProfileEnv);
        }

        return store.Load().CurrentEnv is { Length: > 0 } current ? store.Require(current, "dw env:use (current_env in config)") : null;
    }

    /// <summary>The output mode from the flags alone, so an error before the connection resolves can still be written as JSON.</summary>
    public static OutputMode ResolveOutput(ParseResult parse) => ResolveOutput(parse, null);

    /// <summary><c>--json</c>, else <c>--output</c>, else the profile's default mode, else <c>table</c>.</summary>
    public static OutputMode ResolveOutput(ParseResult parse, Profile? profile)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(Json))
        {
            return OutputMode.Json;
        }

        return ParseOutput(parse.GetValue(Output) ?? profile?.Output, "output mode");
    }

    public static OutputMode ParseOutput(string? text, string what) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "table" => OutputMode.Table,
        "json" => OutputMode.Json,
        "jsonl" => OutputMode.Jsonl,
        var other => throw CliException.Invalid($"Invalid {what} '{other}': expected table, json or jsonl.", "invalid_output_mode"),
    };

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
