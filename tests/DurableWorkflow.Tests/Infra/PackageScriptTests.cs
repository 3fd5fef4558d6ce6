using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Infra;

/// <summary>infra/package.sh: the isolated-worker app root the Functions host loads, checked in the zip it writes.</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageScriptTests
{
    private const string Script = "infra/package.sh";
    private const string WorkerAssembly = "DurableWorkflow.Functions.dll";

    [Fact]
    public async Task Real_publish_zips_the_isolated_worker_app_root_framework_dependent()
    {
        var work = Directory.CreateTempSubdirectory("dw-infra-package-").FullName;
        try
        {
            var zipPath = Path.Combine(work, "functions.zip");
            var buildId = $"pkgtest-{Guid.NewGuid():N}"[..20];

            var result = await ProcessRunner.RunAsync(
                "bash",
                [InfraPaths.InRepo(Script), "--output", zipPath, "--build-id", buildId],
                TimeSpan.FromMinutes(12),
                InfraTest.Token,
                environment: new Dictionary<string, string?> { ["TMPDIR"] = work, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });

            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Contains("package: verified zip", result.StandardOutput, StringComparison.Ordinal);
            using var archive = ZipFile.OpenRead(zipPath);
            var names = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            foreach (var name in new[] { "host.json", "worker.config.json", "functions.metadata", "extensions.json", WorkerAssembly })
            {
                Assert.Contains(name, names);
            }

            Assert.Contains(names, n => n.StartsWith(".azurefunctions/", StringComparison.Ordinal) && n.EndsWith(".dll", StringComparison.Ordinal));
            Assert.DoesNotContain(names, n => n == "function.json" || n.EndsWith("/function.json", StringComparison.Ordinal));
            Assert.DoesNotContain(names, n => n.EndsWith("local.settings.json", StringComparison.Ordinal));
            Assert.DoesNotContain("libhostfxr.so", names); // framework-dependent: the stack brings the runtime
            Assert.DoesNotContain("libcoreclr.so", names);

            var host = Read(archive, "host.json");
            Assert.Null(host["customHandler"]);
            var worker = Read(archive, "worker.config.json")["description"]!;
            Assert.Equal("dotnet-isolated", (string)worker["language"]!);
            Assert.Equal("dotnet", (string)worker["defaultExecutablePath"]!);
            Assert.Equal(WorkerAssembly, (string)worker["defaultWorkerPath"]!);

            var functions = Read(archive, "functions.metadata").AsArray();
            Assert.All(functions, f => Assert.Equal(WorkerAssembly, (string)f!["scriptFile"]!));
            var timer = Assert.Single(functions, f => f!["bindings"]!.AsArray().Any(b => (string)b!["type"]! == "timerTrigger"))!;
            Assert.Equal("SchedulerTick", (string)timer["name"]!);
            Assert.Contains(functions, f => (string)f!["bindings"]![0]!["route"]! == "ready");

            // The runtimeconfig names the shared frameworks the stack must provide.
            var runtimeConfig = Read(archive, "DurableWorkflow.Functions.runtimeconfig.json")["runtimeOptions"]!;
            var frameworks = runtimeConfig["frameworks"]!.AsArray().Select(f => (string)f!["name"]!).ToList();
            Assert.Contains("Microsoft.AspNetCore.App", frameworks);
            Assert.All(runtimeConfig["frameworks"]!.AsArray(), f => Assert.StartsWith("10.", (string)f!["version"]!, StringComparison.Ordinal));

            // The build id is stamped into the assemblies: the server's default DW_SERVER_BUILD_ID.
            var core = Path.Combine(work, "DurableWorkflow.Core.dll");
            archive.GetEntry("DurableWorkflow.Core.dll")!.ExtractToFile(core);
            Assert.Equal(buildId, FileVersionInfo.GetVersionInfo(core).ProductVersion);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Publish_is_framework_dependent_and_the_python_fallback_zip_keeps_the_hidden_folder()
    {
        using var sandbox = new StubSandbox();
        sandbox.Environment["DW_PACKAGE_ZIP_TOOL"] = "python3";
        var zipPath = Path.Combine(sandbox.Root, "out", "python.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "pytest-1");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.DoesNotContain(sandbox.Calls(), c => c.StartsWith("zip ", StringComparison.Ordinal));
        var publish = Assert.Single(sandbox.Calls(), c => c.StartsWith("dotnet publish ", StringComparison.Ordinal));
        Assert.Contains("-c Release -r linux-x64 --self-contained false -p:InformationalVersion=pytest-1", publish, StringComparison.Ordinal);
        using var archive = ZipFile.OpenRead(zipPath);
        Assert.Equal(
            StubSandbox.PackageLayout().Keys.Order(StringComparer.Ordinal),
            archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("functions.metadata")]
    [InlineData("worker.config.json")]
    [InlineData("extensions.json")]
    [InlineData(WorkerAssembly)]
    [InlineData(".azurefunctions/" + StubSandbox.MetadataLoader)]
    public async Task Package_missing_part_of_the_app_root_is_rejected_and_removed(string missing)
    {
        using var sandbox = new StubSandbox();
        sandbox.Environment["DW_PACKAGE_ZIP_TOOL"] = "python3"; // zips the (stub) publish folder for real
        sandbox.Environment["STUB_PUBLISH_DROP"] = missing;
        var zipPath = Path.Combine(sandbox.Root, "missing.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "missing-1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("package: ERROR: zip:", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(missing, result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(zipPath));
    }

    [Fact]
    public async Task Package_with_a_function_json_is_rejected_and_removed()
    {
        using var sandbox = new StubSandbox();
        sandbox.Environment["DW_PACKAGE_ZIP_TOOL"] = "python3";
        sandbox.Environment["STUB_PUBLISH_ADD"] = "api/function.json";
        var zipPath = Path.Combine(sandbox.Root, "legacy.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "legacy-1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("holds function.json files (api/function.json)", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(zipPath));
    }

    [Fact]
    public async Task Self_contained_worker_config_is_rejected_in_the_zip_and_the_zip_removed()
    {
        using var sandbox = new StubSandbox();
        // The zip the (stub) zip tool writes starts the worker through an apphost.
        var badZip = Path.Combine(sandbox.Root, "apphost.zip");
        StubSandbox.WriteFixtureZip(badZip, layout => layout["worker.config.json"] =
            """{"description":{"language":"dotnet-isolated","defaultExecutablePath":"{WorkerRoot}DurableWorkflow.Functions","defaultWorkerPath":"DurableWorkflow.Functions.dll"}}""");
        sandbox.Environment["STUB_ZIP_OUTPUT"] = badZip;
        var zipPath = Path.Combine(sandbox.Root, "selfcontained.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "sc-1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("package: ERROR: zip: worker.config.json starts '{WorkerRoot}DurableWorkflow.Functions'", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(zipPath));
    }

    private static JsonNode Read(ZipArchive archive, string name)
    {
        using var stream = archive.GetEntry(name)!.Open();
        return JsonNode.Parse(stream)!;
    }
}
