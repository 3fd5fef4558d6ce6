using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DurableWorkflow.Tests.Infra;

/// <summary>Compiles and lints every Bicep file under infra/ with the NuGet-restored Bicep CLI (offline).</summary>
public sealed partial class BicepTemplateTests
{
    private static readonly TimeSpan BicepTimeout = TimeSpan.FromMinutes(3);

    public static TheoryData<string> BicepFiles() => new(BicepFilePaths());

    private static List<string> BicepFilePaths() =>
        Directory.EnumerateFiles(InfraPaths.InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(InfraPaths.RepositoryRoot, file))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void Infra_has_the_entry_template_and_the_resources_module()
    {
        var files = BicepFilePaths();

        Assert.Contains(Path.Combine("infra", "main.bicep"), files);
        Assert.Contains(Path.Combine("infra", "resources.bicep"), files);
    }

    [Fact]
    public async Task Bicep_cli_is_the_pinned_version()
    {
        var result = await RunBicepAsync(["--version"]);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains($"Bicep CLI version {InfraPaths.BicepVersion}", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Bicep_build_succeeds_without_diagnostics(string relativePath)
    {
        var output = Path.Combine(Path.GetTempPath(), $"dw-bicep-{Guid.NewGuid():N}.json");
        try
        {
            var result = await RunBicepAsync(["build", InfraPaths.InRepo(relativePath), "--outfile", output]);

            Assert.True(result.ExitCode == 0, result.Describe());
            AssertNoDiagnostics(result);
            var template = JsonNode.Parse(await File.ReadAllTextAsync(output, InfraTest.Token))!;
            Assert.Contains("DeploymentTemplate.json", (string)template["$schema"]!, StringComparison.OrdinalIgnoreCase);
            Assert.NotEmpty(Resources(template));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Bicep_lint_reports_nothing(string relativePath)
    {
        var result = await RunBicepAsync(["lint", InfraPaths.InRepo(relativePath)]);

        Assert.True(result.ExitCode == 0, result.Describe());
        AssertNoDiagnostics(result);
    }

    [Fact]
    public async Task Secure_parameters_have_no_default_and_get_their_value_from_key_vault_or_azd()
    {
        var template = await BuildToJsonAsync("main.bicep");
        var nested = FindNestedTemplate(template);
        var parameterFile = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(InfraPaths.InfraDirectory, "main.parameters.json"), InfraTest.Token))!;

        var secureNames = new List<string>();
        foreach (var parameters in new[] { template["parameters"]!.AsObject(), nested["parameters"]!.AsObject() })
        {
            foreach (var (name, definition) in parameters)
            {
                if ((string)definition!["type"]! == "securestring")
                {
                    secureNames.Add(name);
                    Assert.Null(definition["defaultValue"]);
                }
            }
        }

        Assert.Contains("pgAdminPassword", secureNames);
        Assert.Contains("operatorToken", secureNames);
        foreach (var name in template["parameters"]!.AsObject().Where(p => (string)p.Value!["type"]! == "securestring").Select(p => p.Key))
        {
            var value = (string?)parameterFile["parameters"]![name]?["value"];
            Assert.NotNull(value);
            Assert.Matches(SecretOrRandomPassword(), value);
        }
    }

    [Fact]
    public async Task Slot_settings_keep_the_scheduler_off_in_staging()
    {
        var template = await BuildToJsonAsync("resources.bicep");
        var variables = template["variables"]!;
        var prod = variables["prodSticky"]!.AsObject();
        var staging = variables["stagingSticky"]!.AsObject();
        string[] sticky = ["AzureFunctionsWebHost__hostid", "AzureWebJobs_SchedulerTick_Disabled", "DW_SCHEDULER_ENABLED"];

        Assert.Equal(sticky.Order(StringComparer.Ordinal), prod.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(sticky.Order(StringComparer.Ordinal), staging.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("false", (string)prod["AzureWebJobs_SchedulerTick_Disabled"]!);
        Assert.Equal("true", (string)prod["DW_SCHEDULER_ENABLED"]!);
        Assert.Equal("true", (string)staging["AzureWebJobs_SchedulerTick_Disabled"]!);
        Assert.Equal("false", (string)staging["DW_SCHEDULER_ENABLED"]!);
        Assert.NotEqual((string)prod["AzureFunctionsWebHost__hostid"]!, (string)staging["AzureFunctionsWebHost__hostid"]!);

        var resources = Resources(template);
        var slotConfig = Assert.Single(resources, r => (string)r["type"]! == "Microsoft.Web/sites/config" && (string)r["name"]! == "[format('{0}/{1}', variables('appName'), 'slotConfigNames')]");
        Assert.Equal("[objectKeys(variables('prodSticky'))]", (string)slotConfig["properties"]!["appSettingNames"]!);
        Assert.Single(resources, r => (string)r["type"]! == "Microsoft.Web/sites/slots");
    }

    [Fact]
    public async Task Sites_run_the_dotnet_isolated_worker_on_elastic_premium_with_ready_gates()
    {
        var template = await BuildToJsonAsync("resources.bicep");
        var siteConfig = template["variables"]!["siteConfigCommon"]!;
        Assert.Equal("/api/ready", (string)siteConfig["healthCheckPath"]!);
        Assert.False((bool)siteConfig["use32BitWorkerProcess"]!); // the dotnet-isolated placeholder only serves 64-bit hosts

        // The stack's .NET version is the one the worker targets: the package is framework-dependent.
        var stack = ((string)siteConfig["linuxFxVersion"]!).Split('|');
        Assert.Equal("DOTNET-ISOLATED", stack[0]);
        var props = XDocument.Load(InfraPaths.InRepo("Directory.Build.props"));
        var targetFramework = props.Descendants("TargetFramework").Single().Value.Trim();
        Assert.Equal("net" + stack[1], targetFramework);

        var resources = Resources(template);
        var plan = Assert.Single(resources, r => (string)r["type"]! == "Microsoft.Web/serverfarms");
        Assert.Equal("EP1", (string)plan["sku"]!["name"]!);
        Assert.Equal("ElasticPremium", (string)plan["sku"]!["tier"]!);
        Assert.True((bool)plan["properties"]!["reserved"]!);
        Assert.Single(resources, r => (string)r["type"]! == "Microsoft.Cache/redisEnterprise");
        Assert.Single(resources, r => (string)r["type"]! == "Microsoft.DBforPostgreSQL/flexibleServers");
        Assert.Single(resources, r => (string)r["type"]! == "Microsoft.KeyVault/vaults");
        Assert.Single(resources, r => (string)r["type"]! == "Microsoft.Insights/components");
        Assert.Single(resources, r => (string)r["type"]! == "Microsoft.OperationalInsights/workspaces");

        // The app settings are built from a Bicep object, so check the source for the settings that carry behaviour.
        var source = await File.ReadAllTextAsync(Path.Combine(InfraPaths.InfraDirectory, "resources.bicep"), InfraTest.Token);
        Assert.Matches(Setting("FUNCTIONS_WORKER_RUNTIME", "'dotnet-isolated'"), source);
        Assert.Matches(Setting("FUNCTIONS_EXTENSION_VERSION", "'~4'"), source);
        Assert.Matches(Setting("WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED", "'1'"), source);
        Assert.DoesNotContain("CUSTOMHANDLER", source, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(Setting("WEBSITE_SWAP_WARMUP_PING_PATH", "'/api/ready'"), source);
        Assert.Matches(Setting("WEBSITE_SWAP_WARMUP_PING_STATUSES", "'200'"), source);
        Assert.Matches(Setting("AzureWebJobsStorage__credential", "'managedidentity'"), source);
        Assert.DoesNotMatch(@"(?m)^\s*AzureWebJobsStorage\s*:", source);
        Assert.DoesNotMatch(@"(?m)^\s*WEBSITE_CONTENTSHARE\s*:", source);
        foreach (var secret in new[] { "DW_DB_CONNECTION", "DW_REDIS_CONNECTION", "DW_WORKER_TOKEN", "DW_OPERATOR_TOKEN", "DW_ADMIN_TOKEN", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING" })
        {
            Assert.Matches(Setting(secret, @"kvRef\("), source);
        }
    }

    [Fact]
    public async Task Sticky_timer_switch_names_the_worker_timer_function()
    {
        // AzureWebJobs_<function name>_Disabled only acts when <function name> is the name the worker registers.
        var template = await BuildToJsonAsync("resources.bicep");
        var switchName = Assert.Single(
            template["variables"]!["prodSticky"]!.AsObject().Select(p => p.Key),
            k => k.StartsWith("AzureWebJobs_", StringComparison.Ordinal) && k.EndsWith("_Disabled", StringComparison.Ordinal));
        var name = switchName["AzureWebJobs_".Length..^"_Disabled".Length];
        var function = await File.ReadAllTextAsync(InfraPaths.InRepo("functions", "Scheduling", "SchedulerTickFunction.cs"), InfraTest.Token);

        Assert.Contains("[TimerTrigger(", function, StringComparison.Ordinal);
        Assert.Contains("[Function(", function, StringComparison.Ordinal);
        Assert.Contains($"\"{name}\"", function, StringComparison.Ordinal);
    }

    internal static async Task<JsonNode> BuildToJsonAsync(string fileName)
    {
        var output = Path.Combine(Path.GetTempPath(), $"dw-bicep-{Guid.NewGuid():N}.json");
        try
        {
            var result = await RunBicepAsync(["build", Path.Combine(InfraPaths.InfraDirectory, fileName), "--outfile", output]);
            Assert.True(result.ExitCode == 0, result.Describe());
            return JsonNode.Parse(await File.ReadAllTextAsync(output, InfraTest.Token))!;
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static JsonNode FindNestedTemplate(JsonNode template)
    {
        var deployment = Resources(template).Single(r => (string)r["type"]! == "Microsoft.Resources/deployments");
        return deployment["properties"]!["template"]!;
    }

    /// <summary>ARM resources: an array, or an object keyed by symbolic name (languageVersion 2.0, used when a template declares functions).</summary>
    private static List<JsonNode> Resources(JsonNode template) =>
        template["resources"] switch
        {
            JsonArray array => array.Select(r => r!).ToList(),
            JsonObject symbolic => symbolic.Select(r => r.Value!).ToList(),
            var other => throw new InvalidDataException($"unexpected resources node: {other?.ToJsonString()}"),
        };

    private static Task<ProcessResult> RunBicepAsync(string[] arguments) =>
        ProcessRunner.RunAsync(
            InfraPaths.BicepExecutable,
            arguments,
            BicepTimeout,
            InfraTest.Token,
            environment: new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });

    private static void AssertNoDiagnostics(ProcessResult result)
    {
        var text = result.StandardOutput + result.StandardError;
        Assert.False(Diagnostic().IsMatch(text), result.Describe());
        Assert.True(result.StandardError.Trim().Length == 0, result.Describe());
    }

    private static string Setting(string name, string valuePattern) => $@"(?m)^\s*{Regex.Escape(name)}\s*:\s*{valuePattern}";

    [GeneratedRegex(@"\(\d+,\d+\)\s*:\s*(Error|Warning|Info)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Diagnostic();

    [GeneratedRegex(@"^\$\(secretOrRandomPassword \$\{AZURE_KEY_VAULT_NAME\} [a-z0-9-]+\)$")]
    private static partial Regex SecretOrRandomPassword();
}
