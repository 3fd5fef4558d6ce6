using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DurableWorkflow.Tests.Infra;

/// <summary>azure.yaml, host.json, the function folders and the settings names agree with what the code expects.</summary>
[SupportedOSPlatform("linux")]
public sealed partial class DeploymentManifestTests
{
    /// <summary>Knobs read only by the infra scripts (not by the server); each must be documented in README.md.</summary>
    private static readonly string[] ScriptOnlyPrefixes = ["DW_ROLLOUT_", "DW_BOOTSTRAP_", "DW_PACKAGE_", "DW_BUILD_ID", "DW_ALLOW_AZD_DEPLOY"];

    private static string FunctionsAssemblyName()
    {
        var project = XDocument.Load(InfraPaths.InRepo("functions", "DurableWorkflow.Functions.csproj"));
        return project.Descendants("AssemblyName").Single().Value.Trim();
    }

    private static async Task<JsonNode> ReadJsonAsync(params string[] parts) =>
        JsonNode.Parse(await File.ReadAllTextAsync(InfraPaths.InRepo(parts), InfraTest.Token))!;

    [Fact]
    public async Task Host_json_is_an_isolated_worker_app_root_with_http_under_api()
    {
        var host = await ReadJsonAsync("host.json");

        Assert.Equal("2.0", (string)host["version"]!);
        Assert.Null(host["customHandler"]);
        Assert.Equal("api", (string)host["extensions"]!["http"]!["routePrefix"]!);
        Assert.Null(host["extensionBundle"]);
        var settings = await ReadJsonAsync("functions", "local.settings.json");
        Assert.Equal("dotnet-isolated", (string)settings["Values"]!["FUNCTIONS_WORKER_RUNTIME"]!);
    }

    [Fact]
    public async Task Functions_are_indexed_from_code_and_the_timer_schedule_is_an_app_setting()
    {
        // The worker SDK generates the function metadata; a function.json would be a second, stale source.
        var sep = Path.DirectorySeparatorChar;
        var functionJson = Directory.GetFiles(InfraPaths.InRepo("functions"), "function.json", SearchOption.AllDirectories);
        Assert.DoesNotContain(functionJson, f => !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal));

        var source = await File.ReadAllTextAsync(InfraPaths.InRepo("functions", "Scheduling", "SchedulerTickFunction.cs"), InfraTest.Token);
        var schedule = Assert.Single(TimerSchedule().Matches(source)).Groups[1].Value;
        var setting = Assert.Single(PercentSetting().Matches(schedule)).Groups[1].Value;
        var resources = await File.ReadAllTextAsync(Path.Combine(InfraPaths.InfraDirectory, "resources.bicep"), InfraTest.Token);
        Assert.Matches($@"(?m)^\s*{setting}\s*:", resources);
    }

    [Fact]
    public async Task Azure_yaml_points_azd_at_the_functions_project_and_the_bicep_entry()
    {
        var yaml = FlatYaml.Parse(await File.ReadAllTextAsync(InfraPaths.InRepo("azure.yaml"), InfraTest.Token));

        Assert.Equal("bicep", yaml["infra.provider"]);
        var infraPath = yaml["infra.path"];
        Assert.True(File.Exists(InfraPaths.InRepo(infraPath, yaml["infra.module"] + ".bicep")));
        Assert.True(File.Exists(InfraPaths.InRepo(infraPath, yaml["infra.module"] + ".parameters.json")));

        var service = Assert.Single(yaml.Keys, k => k.StartsWith("services.", StringComparison.Ordinal) && k.Count(c => c == '.') == 1)["services.".Length..];
        Assert.Equal("dotnet", yaml[$"services.{service}.language"]);
        Assert.Equal("function", yaml[$"services.{service}.host"]);
        var project = InfraPaths.InRepo(yaml[$"services.{service}.project"]);
        Assert.Equal(Path.GetFullPath(InfraPaths.InRepo("functions")), Path.GetFullPath(project));
        Assert.True(File.Exists(Path.Combine(project, FunctionsAssemblyName() + ".csproj")));

        // azd finds the site through this tag.
        var resources = await File.ReadAllTextAsync(Path.Combine(InfraPaths.InfraDirectory, "resources.bicep"), InfraTest.Token);
        Assert.Contains($"'azd-service-name': '{service}'", resources, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_yaml_hooks_bootstrap_the_database_with_executable_scripts()
    {
        var yaml = FlatYaml.Parse(await File.ReadAllTextAsync(InfraPaths.InRepo("azure.yaml"), InfraTest.Token));

        var hooks = yaml.Where(kv => kv.Key.StartsWith("hooks.", StringComparison.Ordinal) && kv.Key.EndsWith(".run", StringComparison.Ordinal)).ToList();
        Assert.Contains(hooks, kv => kv.Key == "hooks.postprovision.posix.run");
        Assert.Contains(hooks, kv => kv.Key == "hooks.predeploy.posix.run");
        foreach (var (key, run) in hooks)
        {
            var script = InfraPaths.InRepo(run);
            Assert.True(File.Exists(script), $"{key}: {run} does not exist");
            Assert.StartsWith(Path.Combine(InfraPaths.InfraDirectory, "hooks") + Path.DirectorySeparatorChar, Path.GetFullPath(script), StringComparison.Ordinal);
            Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute), $"{run} is not executable");
            Assert.Equal("false", yaml[key[..^".run".Length] + ".continueOnError"]);
        }

        var bootstrap = await File.ReadAllTextAsync(InfraPaths.InRepo(yaml["hooks.postprovision.posix.run"]), InfraTest.Token);
        Assert.Contains("dotnet run --project \"$ROOT/dbup\"", bootstrap, StringComparison.Ordinal);
        Assert.True(File.Exists(InfraPaths.InRepo("dbup", "DurableWorkflow.Bootstrap.csproj")));
    }

    [Fact]
    public async Task Every_DW_setting_in_the_infra_is_a_server_setting_or_a_documented_script_knob()
    {
        var loader = await File.ReadAllTextAsync(InfraPaths.InRepo("core", "Configuration", "ServerSettingsLoader.cs"), InfraTest.Token);
        var serverSettings = QuotedSettingName().Matches(loader).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("DW_DB_CONNECTION", serverSettings);
        var readme = await File.ReadAllTextAsync(Path.Combine(InfraPaths.InfraDirectory, "..", "README.md"), InfraTest.Token);

        var bicepNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(InfraPaths.InfraDirectory, "*.bicep", SearchOption.TopDirectoryOnly))
        {
            bicepNames.UnionWith(SettingName().Matches(await File.ReadAllTextAsync(file, InfraTest.Token)).Select(m => m.Value));
        }

        Assert.Empty(bicepNames.Except(serverSettings));
        Assert.Contains("DW_DB_CONNECTION", bicepNames);
        Assert.Contains("DW_SCHEDULER_ENABLED", bicepNames);

        var scriptFiles = Directory.EnumerateFiles(InfraPaths.InfraDirectory, "*.sh", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Path.Combine(InfraPaths.InfraDirectory, "local") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Append(InfraPaths.InRepo("azure.yaml"))
            .Append(Path.Combine(InfraPaths.InfraDirectory, "main.parameters.json"));
        foreach (var file in scriptFiles)
        {
            foreach (var name in SettingName().Matches(await File.ReadAllTextAsync(file, InfraTest.Token)).Select(m => m.Value).Distinct())
            {
                if (serverSettings.Contains(name))
                {
                    continue;
                }

                Assert.True(ScriptOnlyPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)), $"{name} in {file} is neither a server setting nor a script knob");
                Assert.True(readme.Contains(name, StringComparison.Ordinal), $"{name} (used in {file}) is not documented in README.md");
            }
        }
    }

    [GeneratedRegex(@"\[TimerTrigger\(""([^""]+)""")]
    private static partial Regex TimerSchedule();

    [GeneratedRegex(@"%([A-Za-z0-9_]+)%")]
    private static partial Regex PercentSetting();

    [GeneratedRegex("\"(DW_[A-Z0-9_]+)\"")]
    private static partial Regex QuotedSettingName();

    [GeneratedRegex(@"\bDW_[A-Z0-9_]*[A-Z0-9]\b")]
    private static partial Regex SettingName();
}
