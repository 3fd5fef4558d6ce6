using System.Text.Json.Nodes;
using DurableWorkflow.Cli;
using DurableWorkflow.Cli.Profiles;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Cli;

/// <summary>What one run of <c>dw</c> produced.</summary>
public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>The single JSON document a <c>--json</c> run printed on stdout.</summary>
    public JsonObject Json()
    {
        var lines = StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one JSON line, got {lines.Length}: {StdOut} / {StdErr}");
        return Assert.IsType<JsonObject>(JsonNode.Parse(lines[0]));
    }

    public override string ToString() => $"exit {ExitCode}; stdout: {StdOut}; stderr: {StdErr}";
}

/// <summary>
/// Runs <c>dw</c> either as a real process (<c>dotnet DurableWorkflow.Cli.dll</c>) or in process through its entry
/// point with captured output — the same code path, minus process startup, for the many-call tests on two cores.
/// </summary>
public static class CliRun
{
    public static string Assembly => Path.Combine(TestEnvironment.RepoRoot, "cli", "bin", TestEnvironment.BuildConfiguration, "net10.0", "DurableWorkflow.Cli.dll");

    public static async Task<CliResult> ProcessAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var env = new Dictionary<string, string?>(environment)
        {
            // The test host's own settings must not leak into the CLI.
            [GlobalOptions.ServerEnv] = environment.GetValueOrDefault(GlobalOptions.ServerEnv),
            [GlobalOptions.TokenEnv] = environment.GetValueOrDefault(GlobalOptions.TokenEnv),
            [GlobalOptions.NamespaceEnv] = environment.GetValueOrDefault(GlobalOptions.NamespaceEnv),
            [GlobalOptions.ProfileEnv] = environment.GetValueOrDefault(GlobalOptions.ProfileEnv),
            [GlobalOptions.ControlPlaneVersionEnv] = environment.GetValueOrDefault(GlobalOptions.ControlPlaneVersionEnv),
            [GlobalOptions.WorkerProtocolVersionEnv] = environment.GetValueOrDefault(GlobalOptions.WorkerProtocolVersionEnv),

            // Profiles come from a test's own directory, never the real home's config (an absent one: no profiles).
            [ProfileStore.ConfigHomeEnv] = environment.GetValueOrDefault(ProfileStore.ConfigHomeEnv)
                ?? Path.Combine(Path.GetTempPath(), $"dw-cli-no-config-{Guid.NewGuid():N}"),
        };
        var result = await Processes.RunAsync("dotnet", [Assembly, .. args], env, TimeSpan.FromSeconds(90));
        return new CliResult(result.ExitCode, result.StdOut, result.StdErr);
    }

    public static async Task<CliResult> InProcessAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, CliIo.Captured(output, error, environment));
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public static Dictionary<string, string?> Environment(Uri server, string? token) => new()
    {
        [GlobalOptions.ServerEnv] = server.AbsoluteUri,
        [GlobalOptions.TokenEnv] = token,
    };
}
