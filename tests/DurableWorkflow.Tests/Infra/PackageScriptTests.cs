using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.Versioning;

namespace DurableWorkflow.Tests.Infra;

/// <summary>infra/package.sh: the zip root the Functions host needs for the isolated worker, with the worker's run bit intact.</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageScriptTests
{
    private const string Script = "infra/package.sh";
    private const string ExecutableName = "DurableWorkflow.Functions";
    private const int OwnerExecute = 0b001_000_000; // 0o100

    [Fact]
    public async Task Real_self_contained_publish_zips_the_host_layout_with_an_executable_handler()
    {
        var work = Directory.CreateTempSubdirectory("dw-infra-package-").FullName;
        try
        {
            var zipPath = Path.Combine(work, "functions.zip");
            var buildId = $"pkgtest-{Guid.NewGuid():N}"[..20];

            var result = await ProcessRunner.RunAsync(
                "bash",
                [InfraPaths.InRepo(Script), "--output", zipPath, "--build-id", buildId],
                // A fresh artifacts folder restores and builds the worker SDK's inner WorkerExtensions project too:
                // about 5 minutes alone on a shared 2-core machine, more beside the rest of the suite.
                TimeSpan.FromMinutes(15),
                InfraTest.Token,
                environment: new Dictionary<string, string?> { ["TMPDIR"] = work, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });

            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Contains("package: verified zip root", result.StandardOutput, StringComparison.Ordinal);
            using var archive = ZipFile.OpenRead(zipPath);
            AssertHostLayout(archive);
            Assert.Contains(archive.Entries, e => e.FullName == "DurableWorkflow.Functions.dll");
            Assert.Contains(archive.Entries, e => e.FullName == "libhostfxr.so"); // self-contained runtime
            Assert.DoesNotContain(archive.Entries, e => e.FullName.EndsWith("local.settings.json", StringComparison.Ordinal));

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
    public async Task Python_fallback_zip_keeps_the_run_bit()
    {
        using var sandbox = new StubSandbox();
        sandbox.Environment["DW_PACKAGE_ZIP_TOOL"] = "python3";
        var zipPath = Path.Combine(sandbox.Root, "out", "python.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "pytest-1");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.DoesNotContain(sandbox.Calls(), c => c.StartsWith("zip ", StringComparison.Ordinal));
        var publish = Assert.Single(sandbox.Calls(), c => c.StartsWith("dotnet publish ", StringComparison.Ordinal));
        Assert.Contains("-c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true -p:InformationalVersion=pytest-1", publish, StringComparison.Ordinal);
        using var archive = ZipFile.OpenRead(zipPath);
        AssertHostLayout(archive);
    }

    [Fact]
    public async Task Publish_output_without_the_handler_executable_is_rejected()
    {
        using var sandbox = new StubSandbox();
        sandbox.Environment["STUB_PUBLISH_NO_EXE"] = "1";
        var zipPath = Path.Combine(sandbox.Root, "missing.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "noexe-1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"publish output lacks {ExecutableName}", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(zipPath));
        Assert.DoesNotContain(sandbox.Calls(), c => c.StartsWith("zip ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Zip_whose_handler_lost_its_run_bit_is_rejected()
    {
        using var sandbox = new StubSandbox();
        File.Delete(sandbox.FixtureZip);
        StubSandbox.WriteFixtureZip(sandbox.FixtureZip, executableMode: Convert.ToInt32("100644", 8));
        var zipPath = Path.Combine(sandbox.Root, "nox.zip");

        var result = await sandbox.RunScriptAsync(Script, "--output", zipPath, "--build-id", "nox-1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no owner-exec bit", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
    }

    private static void AssertHostLayout(ZipArchive archive)
    {
        foreach (var name in new[] { "host.json", "functions.metadata", "worker.config.json", "extensions.json" })
        {
            Assert.Contains(archive.Entries, e => e.FullName == name);
        }

        Assert.Contains(archive.Entries, e => e.FullName.StartsWith(".azurefunctions/", StringComparison.Ordinal));
        Assert.DoesNotContain(archive.Entries, e => e.Name == "function.json");

        var executable = Assert.Single(archive.Entries, e => e.FullName == ExecutableName);
        var mode = executable.ExternalAttributes >> 16;
        Assert.True((mode & OwnerExecute) != 0, $"{ExecutableName} has unix mode {Convert.ToString(mode, 8)}");
    }
}
