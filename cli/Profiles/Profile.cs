using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Profiles;

/// <summary>
/// One named environment profile as the official CLI stores it: server, namespace, token source, TLS verification and
/// the default output mode. Unset values stay null so the built-in defaults still apply beneath them.
/// </summary>
public sealed record Profile(string Name, string? Server, string? Namespace, TokenSource? Token, bool TlsVerify, string? Output)
{
    public static readonly string[] OutputModes = ["table", "json", "jsonl"];

    /// <summary>Reads one <c>envs</c> entry of the config file; malformed fields are dropped, not fatal.</summary>
    public static Profile FromStored(string name, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        TokenSource? token = null;
        if (data["token_source"] is JsonObject source && Text(source["type"]) is { } type && Text(source["value"]) is { } value
            && type is TokenSource.Literal or TokenSource.Env)
        {
            token = new TokenSource(type, value);
        }

        var tls = data["tls_verify"] is not JsonValue flag || !flag.TryGetValue<bool>(out var verify) || verify;
        var output = Text(data["output"]) is { } mode && OutputModes.Contains(mode) ? mode : null;
        return new Profile(name, Text(data["server"]), Text(data["namespace"]), token, tls, output);
    }

    /// <summary>The stored shape: absent values are left out, <c>tls_verify</c> is always written.</summary>
    public JsonObject ToStored()
    {
        var data = new JsonObject();
        if (Server is not null)
        {
            data["server"] = Server;
        }

        if (Namespace is not null)
        {
            data["namespace"] = Namespace;
        }

        if (Token is not null)
        {
            data["token_source"] = new JsonObject { ["type"] = Token.Type, ["value"] = Token.Value };
        }

        data["tls_verify"] = TlsVerify;
        if (Output is not null)
        {
            data["output"] = Output;
        }

        return data;
    }

    /// <summary>
    /// The view <c>env:*</c> prints: a literal token is shown as <c>redacted</c> unless the operator asked for it; an
    /// environment-variable source always shows the variable's name (<c>env-profile.schema.json</c>).
    /// </summary>
    public JsonObject Describe(bool showToken = false) => new()
    {
        ["name"] = Name,
        ["server"] = Server,
        ["namespace"] = Namespace,
        ["tls_verify"] = TlsVerify,
        ["output"] = Output,
        ["token_source"] = Token switch
        {
            null => null,
            { Type: TokenSource.Env } => new JsonObject { ["type"] = TokenSource.Env, ["env"] = Token.Value },
            _ => new JsonObject { ["type"] = TokenSource.Literal, ["value"] = showToken ? Token.Value : "redacted" },
        },
    };

    /// <summary>The bearer token at invocation time; null when there is no source or its variable is unset or empty.</summary>
    public string? ResolveToken(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Token switch
        {
            null => null,
            { Type: TokenSource.Env } => environment(Token.Value) is { Length: > 0 } value ? value : null,
            _ => Token.Value,
        };
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
