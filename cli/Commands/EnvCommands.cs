using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DurableWorkflow.Cli.Profiles;
using Spectre.Console;
using Profile = DurableWorkflow.Cli.Profiles.Profile;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// <c>env:set|use|list|show|delete</c>: named connection profiles kept in the local config file (spec §13.1). Local
/// only: these never contact a server and ignore the profile selection, so they can repair a broken one.
/// </summary>
public static partial class EnvCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return Set(io);

        var useName = Name("Profile to use by default");
        yield return LocalCommand.Create(io, "env:use", "Set the default dw environment profile", c =>
        {
            var profile = c.Store.SetCurrent(c.Get(useName)!);
            c.Output.Write(Describe(profile, false, true, c.Store), (console, _) =>
            {
                console.WriteLine($"Using dw env [{profile.Name}].");
                WriteIf(console, "  server: ", profile.Server);
                WriteIf(console, "  namespace: ", profile.Namespace);
            });
            return ExitCodes.Success;
        }, useName);

        var listShowToken = ShowToken();
        yield return LocalCommand.Create(io, "env:list", "List configured dw environment profiles", c =>
        {
            var config = c.Store.Load();
            var envs = new JsonArray();
            foreach (var profile in config.Envs.Values)
            {
                var item = profile.Describe(c.Get(listShowToken));
                item["current"] = profile.Name == config.CurrentEnv;
                envs.Add(item);
            }

            var document = new JsonObject { ["current_env"] = config.CurrentEnv, ["config_path"] = c.Store.RequiredPath, ["envs"] = envs };
            c.Output.Write(document, (console, _) => ListTable(console, envs));
            return ExitCodes.Success;
        }, listShowToken);

        var showName = new Argument<string?>("name") { Description = "Profile name (default: the current env)", Arity = ArgumentArity.ZeroOrOne };
        var showToken = ShowToken();
        yield return LocalCommand.Create(io, "env:show", "Show one dw environment profile", c =>
        {
            var name = c.Get(showName) is { Length: > 0 } given ? given : c.Store.Load().CurrentEnv
                ?? throw CliException.Invalid("No default dw env is set. Pass a profile name or run `dw env:use <name>`.", "no_current_env");
            var profile = c.Store.Require(name, "env:show");
            var document = Describe(profile, c.Get(showToken), c.Store.Load().CurrentEnv == profile.Name, c.Store);
            c.Output.Write(document, (console, _) => ShowTable(console, document));
            return ExitCodes.Success;
        }, showName, showToken);

        var deleteName = Name("Profile to delete");
        yield return LocalCommand.Create(io, "env:delete", "Delete a dw environment profile", c =>
        {
            var (removed, cleared) = c.Store.Delete(c.Get(deleteName)!);
            var document = new JsonObject
            {
                ["name"] = removed.Name,
                ["deleted"] = true,
                ["cleared_current_env"] = cleared,
                ["config_path"] = c.Store.RequiredPath,
            };
            c.Output.Write(document, (console, _) =>
            {
                console.WriteLine($"Deleted dw env [{removed.Name}].");
                if (cleared)
                {
                    console.WriteLine("Cleared the current dw env.");
                }
            });
            return ExitCodes.Success;
        }, deleteName);
    }

    private static Command Set(CliIo io)
    {
        var name = Name("Profile name (letters, digits, '.', '-', '_')");
        var tokenEnv = new Option<string?>("--token-env") { Description = "Environment variable that holds the bearer token at invocation time ('' clears)" };
        var profileOutput = new Option<string?>("--profile-output") { Description = "Default output mode for commands run with this profile: table, json or jsonl ('' clears)" };
        var makeDefault = new Option<bool>("--make-default") { Description = "Also make this the current profile (as dw env:use)" };

        // --server, --namespace, --token and --tls-verify are the global flags; here they set the profile's values.
        return LocalCommand.Create(io, "env:set", "Create or update a dw environment profile", c =>
        {
            var profileName = c.Get(name)!;
            if (!ProfileName().IsMatch(profileName))
            {
                throw CliException.Invalid($"Invalid profile name [{profileName}]: must start with a letter or digit and contain only letters, digits, dots, dashes and underscores.");
            }

            var existing = c.Store.Load().Envs.GetValueOrDefault(profileName);
            var server = Merge(c, GlobalOptions.Server, existing?.Server);
            if (server is not null && (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                throw CliException.Invalid($"Invalid server URL '{server}': expected http:// or https://.", "invalid_server_url");
            }

            var output = Merge(c, profileOutput, existing?.Output);
            if (output is not null && !Profile.OutputModes.Contains(output))
            {
                throw CliException.Invalid($"Invalid --profile-output '{output}': expected table, json or jsonl.", "invalid_output_mode");
            }

            var tls = c.Given(GlobalOptions.TlsVerify) ? GlobalOptions.ParseBool(c.Get(GlobalOptions.TlsVerify) ?? string.Empty, "--tls-verify") : existing?.TlsVerify ?? true;
            var profile = new Profile(profileName, server, Merge(c, GlobalOptions.Namespace, existing?.Namespace), MergeToken(c, tokenEnv, existing?.Token), tls, output);
            var makeCurrent = c.Get(makeDefault);
            c.Store.Put(profile, makeCurrent);
            c.Output.Write(Describe(profile, false, c.Store.Load().CurrentEnv == profileName, c.Store), (console, _) =>
            {
                console.WriteLine($"Saved dw env [{profileName}] to {c.Store.Path}.");
                if (makeCurrent)
                {
                    console.WriteLine($"Set [{profileName}] as the current dw env.");
                }
            });
            return ExitCodes.Success;
        }, name, tokenEnv, profileOutput, makeDefault);
    }

    /// <summary>An omitted flag keeps the stored value; an empty one clears it.</summary>
    private static string? Merge(LocalContext c, Option<string?> option, string? existing) =>
        !c.Given(option) ? existing : c.Get(option) is { Length: > 0 } value ? value.Trim() : null;

    private static TokenSource? MergeToken(LocalContext c, Option<string?> tokenEnv, TokenSource? existing)
    {
        if (!c.Given(tokenEnv) && !c.Given(GlobalOptions.Token))
        {
            return existing;
        }

        var variable = c.Get(tokenEnv);
        var literal = c.Get(GlobalOptions.Token);
        if (!string.IsNullOrEmpty(variable) && !string.IsNullOrEmpty(literal))
        {
            throw CliException.Invalid("Pass either --token or --token-env, not both.");
        }

        if (!string.IsNullOrEmpty(variable))
        {
            return EnvVarName().IsMatch(variable)
                ? new TokenSource(TokenSource.Env, variable)
                : throw CliException.Invalid($"Invalid --token-env value [{variable}]: environment variable names must match [A-Z_][A-Z0-9_]*.");
        }

        return !string.IsNullOrEmpty(literal) ? new TokenSource(TokenSource.Literal, literal) : null;
    }

    private static JsonObject Describe(Profile profile, bool showToken, bool current, ProfileStore store)
    {
        var document = profile.Describe(showToken);
        document["current"] = current;
        document["config_path"] = store.RequiredPath;
        return document;
    }

    private static void ListTable(IAnsiConsole console, JsonArray envs)
    {
        if (envs.Count == 0)
        {
            console.WriteLine("No dw environments configured. Create one with `dw env:set <name> --server=https://... --namespace=<ns>`.");
            return;
        }

        var table = new Table();
        foreach (var heading in new[] { "Current", "Name", "Server", "Namespace", "Token", "TLS Verify", "Output" })
        {
            table.AddColumn(heading);
        }

        foreach (var env in envs.OfType<JsonObject>())
        {
            table.AddRow(
                env["current"]!.GetValue<bool>() ? "*" : string.Empty,
                Markup.Escape(GenericTable.Text(env["name"])),
                Markup.Escape(GenericTable.Text(env["server"])),
                Markup.Escape(GenericTable.Text(env["namespace"])),
                Markup.Escape(TokenText(env["token_source"])),
                env["tls_verify"]!.GetValue<bool>() ? "yes" : "no",
                Markup.Escape(GenericTable.Text(env["output"])));
        }

        console.Write(table);
    }

    private static void ShowTable(IAnsiConsole console, JsonObject document)
    {
        var table = new Table().AddColumn("Field").AddColumn("Value");
        table.AddRow("name", Markup.Escape(GenericTable.Text(document["name"])));
        table.AddRow("current", document["current"]!.GetValue<bool>() ? "yes" : "no");
        table.AddRow("server", Markup.Escape(GenericTable.Text(document["server"])));
        table.AddRow("namespace", Markup.Escape(GenericTable.Text(document["namespace"])));
        table.AddRow("tls_verify", document["tls_verify"]!.GetValue<bool>() ? "yes" : "no");
        table.AddRow("output", Markup.Escape(GenericTable.Text(document["output"])));
        table.AddRow("token_source", Markup.Escape(TokenText(document["token_source"])));
        table.AddRow("config_path", Markup.Escape(GenericTable.Text(document["config_path"])));
        console.Write(table);
    }

    private static string TokenText(JsonNode? source) => source switch
    {
        JsonObject { } map when GenericTable.Text(map["type"]) == TokenSource.Env => $"env:{GenericTable.Text(map["env"])}",
        JsonObject { } map => $"literal({GenericTable.Text(map["value"])})",
        _ => "-",
    };

    private static void WriteIf(IAnsiConsole console, string label, string? value)
    {
        if (value is not null)
        {
            console.WriteLine(label + value);
        }
    }

    private static Argument<string> Name(string description) => new("name") { Description = description };

    private static Option<bool> ShowToken() => new("--show-token") { Description = "Reveal literal token values (an env-var source always shows its name)" };

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]*\z")]
    private static partial Regex ProfileName();

    [GeneratedRegex(@"\A[A-Z_][A-Z0-9_]*\z")]
    private static partial Regex EnvVarName();
}
