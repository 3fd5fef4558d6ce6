using System.Text.Json.Nodes;
using DurableWorkflow.Cli;
using DurableWorkflow.Cli.Profiles;

namespace DurableWorkflow.Tests.Cli;

/// <summary>
/// <c>dw env:*</c> profiles and their place in connection resolution (flag → environment variable → selected profile →
/// default), each test on its own temporary config directory (<c>DW_CONFIG_HOME</c>), never the real home.
/// </summary>
public sealed class CliEnvTests : IDisposable
{
    private readonly string configHome = Path.Combine(Path.GetTempPath(), $"dw-env-test-{Guid.NewGuid():N}");

    private string ConfigFile => Path.Combine(configHome, "config.json");

    public void Dispose()
    {
        if (Directory.Exists(configHome))
        {
            Directory.Delete(configHome, recursive: true);
        }
    }

    [Fact]
    public async Task Set_use_list_show_delete_round_trip_and_match_the_official_schemas()
    {
        var set = await RunAsync(Local(), "env:set", "prod", "--server", "https://dw.example.com", "--namespace", "orders", "--token-env", "PROD_DW_TOKEN", "--profile-output", "json", "--json");
        var dev = await RunAsync(Local(), "env:set", "dev", "--server", "http://localhost:8080", "--token", "dev-secret", "--tls-verify", "false", "--json");
        var use = await RunAsync(Local(), "env:use", "dev", "--json");
        var list = await RunAsync(Local(), "env:list", "--json");
        var show = await RunAsync(Local(), "env:show", "--json");
        var shown = await RunAsync(Local(), "env:show", "dev", "--show-token", "--json");

        AssertSchema("env:set", set);
        AssertSchema("env:use", use);
        AssertSchema("env:list", list);
        AssertSchema("env:show", show);
        Assert.Equal("orders", set.Json()["namespace"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["type"] = "env", ["env"] = "PROD_DW_TOKEN" }, set.Json()["token_source"]));
        Assert.False(dev.Json()["tls_verify"]!.GetValue<bool>());
        Assert.True(use.Json()["current"]!.GetValue<bool>());
        Assert.Equal(ConfigFile, list.Json()["config_path"]!.GetValue<string>());
        Assert.Equal("dev", list.Json()["current_env"]!.GetValue<string>());
        Assert.Equal(["dev", "prod"], list.Json()["envs"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal([true, false], list.Json()["envs"]!.AsArray().Select(e => e!["current"]!.GetValue<bool>()));
        Assert.Equal("dev", show.Json()["name"]!.GetValue<string>());
        Assert.Equal("redacted", show.Json()["token_source"]!["value"]!.GetValue<string>());
        Assert.Equal("dev-secret", shown.Json()["token_source"]!["value"]!.GetValue<string>());

        var jsonl = await RunAsync(Local(), "env:list", "--output", "jsonl");
        var records = jsonl.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(2, records.Count);
        var recordSchema = OutputSchema.ForCommand("env:list")["properties"]!["envs"]!["items"]!.AsObject();
        Assert.All(records, r => Assert.Empty(OutputSchema.Violations(r, recordSchema)));

        var delete = await RunAsync(Local(), "env:delete", "dev", "--json");
        AssertSchema("env:delete", delete);
        Assert.True(delete.Json()["deleted"]!.GetValue<bool>());
        Assert.True(delete.Json()["cleared_current_env"]!.GetValue<bool>());
        var after = (await RunAsync(Local(), "env:list", "--json")).Json();
        Assert.Null(after["current_env"]);
        Assert.Equal("prod", Assert.Single(after["envs"]!.AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_config_file_has_the_official_format_and_is_owner_only()
    {
        await RunAsync(Local(), "env:set", "prod", "--server", "https://dw.example.com", "--token", "literal-secret", "--make-default");

        var document = JsonNode.Parse(await File.ReadAllTextAsync(ConfigFile))!.AsObject();
        Assert.Equal(ProfileStore.Schema, document["schema"]!.GetValue<string>());
        Assert.Equal(1, document["version"]!.GetValue<int>());
        Assert.Equal("prod", document["current_env"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(
            new JsonObject
            {
                ["server"] = "https://dw.example.com",
                ["token_source"] = new JsonObject { ["type"] = "literal", ["value"] = "literal-secret" },
                ["tls_verify"] = true,
            },
            document["envs"]!["prod"]),
            document.ToJsonString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(configHome));
        }
    }

    [Fact]
    public async Task Set_keeps_omitted_values_and_clears_empty_ones()
    {
        await RunAsync(Local(), "env:set", "stage", "--server", "http://stage:8080", "--namespace", "billing", "--token-env", "STAGE_TOKEN", "--profile-output", "jsonl");

        var renamespaced = (await RunAsync(Local(), "env:set", "stage", "--namespace", "payments", "--json")).Json();
        Assert.Equal("http://stage:8080", renamespaced["server"]!.GetValue<string>());
        Assert.Equal("payments", renamespaced["namespace"]!.GetValue<string>());
        Assert.Equal("STAGE_TOKEN", renamespaced["token_source"]!["env"]!.GetValue<string>());
        Assert.Equal("jsonl", renamespaced["output"]!.GetValue<string>());

        var cleared = (await RunAsync(Local(), "env:set", "stage", "--token-env", "", "--profile-output", "", "--json")).Json();
        Assert.Null(cleared["token_source"]);
        Assert.Null(cleared["output"]);
        Assert.Equal("payments", cleared["namespace"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("env:set", "-bad-name", "--server", "http://x:1")]
    [InlineData("env:set", "ok", "--token-env", "lower_case")]
    [InlineData("env:set", "ok", "--token", "t", "--token-env", "TOKEN")]
    [InlineData("env:set", "ok", "--profile-output", "yaml")]
    [InlineData("env:set", "ok", "--server", "ftp://x")]
    [InlineData("env:set", "ok", "--tls-verify", "maybe")]
    [InlineData("env:use", "missing")]
    [InlineData("env:show", "missing")]
    [InlineData("env:delete", "missing")]
    [InlineData("env:show")]
    public async Task Bad_input_is_exit_2_and_changes_nothing(params string[] args)
    {
        await RunAsync(Local(), "env:set", "keep", "--server", "http://keep:8080");
        var before = await File.ReadAllTextAsync(ConfigFile);

        var result = await RunAsync(Local(), [.. args, "--json"]);

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        Assert.Equal(2, result.Json()["exit_code"]!.GetValue<int>());
        Assert.Equal(before, await File.ReadAllTextAsync(ConfigFile));
    }

    [Fact]
    public async Task A_selected_profile_supplies_server_namespace_token_and_output()
    {
        await using var stub = new RecordingServer { Respond = _ => (200, new JsonObject { ["namespaces"] = new JsonArray() }) };
        await RunAsync(Local(), "env:set", "stub", "--server", stub.BaseAddress.AbsoluteUri, "--namespace", "from-profile", "--token-env", "STUB_TOKEN", "--profile-output", "json");

        var viaFlag = await RunAsync(Local(("STUB_TOKEN", "token-from-variable")), "namespace:list", "--env", "stub");
        var viaVariable = await RunAsync(Local((GlobalOptions.ProfileEnv, "stub"), ("STUB_TOKEN", "token-from-variable")), "namespace:list");

        Assert.True(viaFlag.ExitCode == 0, viaFlag.ToString());
        Assert.True(viaVariable.ExitCode == 0, viaVariable.ToString());
        // The profile's default output mode applies: JSON without --json.
        Assert.IsType<JsonArray>(viaFlag.Json()["namespaces"]);
        Assert.IsType<JsonArray>(viaVariable.Json()["namespaces"]);
        Assert.All(stub.ApiCalls, r =>
        {
            Assert.Equal("from-profile", r.Headers["X-Namespace"]);
            Assert.Equal("Bearer token-from-variable", r.Headers["Authorization"]);
        });
        Assert.Equal(2, stub.ApiCalls.Count);

        var table = await RunAsync(Local(("STUB_TOKEN", "t")), "namespace:list", "--env", "stub", "--output", "table");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal("(none)", table.StdOut.Trim());
    }

    [Fact]
    public async Task Flags_and_environment_variables_win_over_the_profile_and_env_use_selects_it()
    {
        await using var stub = new RecordingServer { Respond = _ => (200, new JsonObject { ["namespaces"] = new JsonArray() }) };
        await using var other = new RecordingServer { Respond = _ => (200, new JsonObject { ["namespaces"] = new JsonArray() }) };
        await RunAsync(Local(), "env:set", "stub", "--server", other.BaseAddress.AbsoluteUri, "--namespace", "from-profile", "--token", "profile-token", "--make-default");

        var current = await RunAsync(Local(), "namespace:list", "--json");
        var overridden = await RunAsync(
            Local((GlobalOptions.ServerEnv, stub.BaseAddress.AbsoluteUri), (GlobalOptions.NamespaceEnv, "from-variable")),
            "namespace:list", "--token", "flag-token", "--json");
        var flagNamespace = await RunAsync(
            Local((GlobalOptions.ServerEnv, stub.BaseAddress.AbsoluteUri), (GlobalOptions.NamespaceEnv, "from-variable"), (GlobalOptions.TokenEnv, "variable-token")),
            "namespace:list", "--namespace", "from-flag", "--json");

        Assert.True(current.ExitCode == 0, current.ToString());
        var profileCall = Assert.Single(other.ApiCalls);
        Assert.Equal("from-profile", profileCall.Headers["X-Namespace"]);
        Assert.Equal("Bearer profile-token", profileCall.Headers["Authorization"]);

        Assert.True(overridden.ExitCode == 0, overridden.ToString());
        Assert.True(flagNamespace.ExitCode == 0, flagNamespace.ToString());
        Assert.Equal(2, stub.ApiCalls.Count);
        Assert.Equal("from-variable", stub.ApiCalls[0].Headers["X-Namespace"]);
        Assert.Equal("Bearer flag-token", stub.ApiCalls[0].Headers["Authorization"]);
        Assert.Equal("from-flag", stub.ApiCalls[1].Headers["X-Namespace"]);
        Assert.Equal("Bearer variable-token", stub.ApiCalls[1].Headers["Authorization"]);
    }

    [Fact]
    public async Task Unknown_profile_names_are_exit_2_before_any_request()
    {
        await using var stub = new RecordingServer();
        await RunAsync(Local(), "env:set", "real", "--server", stub.BaseAddress.AbsoluteUri, "--make-default");
        var file = JsonNode.Parse(await File.ReadAllTextAsync(ConfigFile))!.AsObject();
        file["current_env"] = "vanished";
        await File.WriteAllTextAsync(ConfigFile, file.ToJsonString());

        var viaFlag = await RunAsync(Local(), "server:health", "--env", "nope", "--json");
        var viaVariable = await RunAsync(Local((GlobalOptions.ProfileEnv, "nope")), "server:health", "--json");
        var viaCurrent = await RunAsync(Local(), "server:health", "--json");
        var human = await RunAsync(Local(), "server:health", "--env", "nope");

        foreach (var result in new[] { viaFlag, viaVariable, viaCurrent })
        {
            Assert.Equal(ExitCodes.Invalid, result.ExitCode);
            Assert.Equal("unknown_env", result.Json()["reason"]!.GetValue<string>());
        }

        Assert.Contains("--env", viaFlag.Json()["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("DW_ENV", viaVariable.Json()["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("[vanished]", viaCurrent.Json()["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Invalid, human.ExitCode);
        Assert.StartsWith("Unknown dw environment [nope]", human.StdErr, StringComparison.Ordinal);
        Assert.Empty(stub.Requests);

        // The local commands still work, so the dangling selection can be repaired.
        var repaired = await RunAsync(Local(), "env:use", "real", "--json");
        Assert.Equal(0, repaired.ExitCode);
        Assert.Equal(0, (await RunAsync(Local(), "server:health", "--json")).ExitCode);
    }

    [Fact]
    public async Task The_real_process_reads_profiles_from_DW_CONFIG_HOME()
    {
        await RunAsync(Local(), "env:set", "proc", "--server", "http://proc:8080", "--namespace", "proc-ns");

        var result = await CliRun.ProcessAsync(new Dictionary<string, string?> { [ProfileStore.ConfigHomeEnv] = configHome }, "env:list", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(ConfigFile, result.Json()["config_path"]!.GetValue<string>());
        Assert.Equal("proc-ns", Assert.Single(result.Json()["envs"]!.AsArray())!["namespace"]!.GetValue<string>());
    }

    private Dictionary<string, string?> Local(params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?> { [ProfileStore.ConfigHomeEnv] = configHome };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static Task<CliResult> RunAsync(Dictionary<string, string?> environment, params string[] args) => CliRun.InProcessAsync(environment, args);

    private static void AssertSchema(string command, CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"{command}: {result}");
        var violations = OutputSchema.Violations(result.Json(), OutputSchema.ForCommand(command));
        Assert.True(violations.Count == 0, $"{command}: {string.Join("; ", violations)}");
    }
}
