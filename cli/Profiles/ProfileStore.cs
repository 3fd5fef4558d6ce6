using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Profiles;

/// <summary>
/// The on-disk profile store, in the official CLI's file and format: <c>config.json</c> under <c>$DW_CONFIG_HOME</c>,
/// else <c>$XDG_CONFIG_HOME/dw</c>, else <c>%APPDATA%\dw</c> on Windows, else <c>$HOME/.config/dw</c>. Writes go to a
/// temporary file renamed over the old one, created owner-only because a profile may hold a literal token.
/// </summary>
public sealed class ProfileStore(string? path)
{
    public const string ConfigHomeEnv = "DW_CONFIG_HOME";
    public const string Schema = "durable-workflow.cli.config";
    public const int Version = 1;

    private static readonly JsonSerializerOptions Pretty = new() { Encoder = JsonOutput.Options.Encoder, WriteIndented = true };

    /// <summary>The config file path, or null when no variable locates a config directory (then there are no profiles).</summary>
    public string? Path { get; } = path;

    public static ProfileStore FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Value(string name) => environment(name) is { Length: > 0 } value ? value : null;
        var directory = Value(ConfigHomeEnv)
            ?? (Value("XDG_CONFIG_HOME") is { } xdg ? System.IO.Path.Combine(xdg, "dw") : null)
            ?? (OperatingSystem.IsWindows() && Value("APPDATA") is { } appData ? System.IO.Path.Combine(appData, "dw") : null)
            ?? (Value("HOME") is { } home ? System.IO.Path.Combine(home, ".config", "dw") : null);
        return new ProfileStore(directory is null ? null : System.IO.Path.Combine(directory, "config.json"));
    }

    /// <summary>The path for commands that must write or report it; without one the command fails clearly.</summary>
    public string RequiredPath => Path ?? throw new CliException(
        ExitCodes.Failure,
        $"Unable to resolve the dw config path: none of {ConfigHomeEnv}, XDG_CONFIG_HOME, APPDATA or HOME is set.",
        "config_path_unresolved");

    public ProfileConfig Load()
    {
        if (Path is null || !File.Exists(Path))
        {
            return ProfileConfig.Empty();
        }

        JsonNode? document;
        try
        {
            document = JsonNode.Parse(File.ReadAllText(Path));
        }
        catch (JsonException ex)
        {
            throw ConfigError($"dw config file [{Path}] is not valid JSON: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw ConfigError($"Unable to read dw config file [{Path}]: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw ConfigError($"Unable to read dw config file [{Path}]: {ex.Message}");
        }

        if (document is not JsonObject root)
        {
            throw ConfigError($"dw config file [{Path}] must hold a JSON object.");
        }

        var config = ProfileConfig.Empty();
        switch (root["envs"])
        {
            case null:
                break;
            case JsonObject envs:
                foreach (var (name, entry) in envs)
                {
                    if (entry is JsonObject data)
                    {
                        config.Envs[name] = Profile.FromStored(name, data);
                    }
                }

                break;
            default:
                throw ConfigError($"dw config file [{Path}] has a non-object envs value.");
        }

        var current = root["current_env"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        return config with { CurrentEnv = current };
    }

    /// <summary>The named profile; a missing one is a hard error naming what asked for it and what exists (exit 2).</summary>
    public Profile Require(string name, string source)
    {
        var config = Load();
        if (config.Envs.TryGetValue(name, out var profile))
        {
            return profile;
        }

        var hint = config.Envs.Count == 0
            ? " No environments are configured; run `dw env:set <name> --server=...`."
            : $" Available environments: [{string.Join(", ", config.Envs.Keys)}]. Run `dw env:set {name} --server=...` to create it.";
        throw CliException.Invalid($"Unknown dw environment [{name}] (requested via {source}).{hint}", "unknown_env");
    }

    public void Put(Profile profile, bool makeCurrent)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var config = Load();
        config.Envs[profile.Name] = profile;
        Write(makeCurrent ? config with { CurrentEnv = profile.Name } : config);
    }

    public Profile SetCurrent(string name)
    {
        var config = Load();
        if (!config.Envs.TryGetValue(name, out var profile))
        {
            var hint = config.Envs.Count == 0 ? " No environments are configured." : $" Available environments: [{string.Join(", ", config.Envs.Keys)}].";
            throw CliException.Invalid($"Cannot set current env to [{name}]: profile does not exist.{hint}", "unknown_env");
        }

        Write(config with { CurrentEnv = name });
        return profile;
    }

    /// <summary>Removes a profile; when it was the current one the selection is cleared too (reported to the caller).</summary>
    public (Profile Removed, bool ClearedCurrent) Delete(string name)
    {
        var config = Load();
        if (!config.Envs.Remove(name, out var removed))
        {
            throw CliException.Invalid($"Cannot delete env [{name}]: profile does not exist.", "unknown_env");
        }

        var cleared = config.CurrentEnv == name;
        Write(cleared ? config with { CurrentEnv = null } : config);
        return (removed, cleared);
    }

    private void Write(ProfileConfig config)
    {
        var path = RequiredPath;
        var envs = new JsonObject();
        foreach (var (name, profile) in config.Envs)
        {
            envs[name] = profile.ToStored();
        }

        var document = new JsonObject
        {
            ["schema"] = Schema,
            ["version"] = Version,
            ["current_env"] = config.CurrentEnv,
            ["envs"] = envs,
        };
        var temporary = path + ".tmp";
        try
        {
            CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);

            // A leftover from an interrupted write may carry wider permissions; a fresh file is created owner-only.
            File.Delete(temporary);
            using (var stream = new FileStream(temporary, OwnerOnlyFile()))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(document.ToJsonString(Pretty));
                writer.Write('\n');
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            throw ConfigError($"Unable to write dw config file [{path}]: {ex.Message}");
        }
    }

    private static void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static FileStreamOptions OwnerOnlyFile()
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    private static CliException ConfigError(string message) => new(ExitCodes.Failure, message, "config_error");
}
