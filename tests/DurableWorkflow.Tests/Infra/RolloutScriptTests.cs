using System.Runtime.Versioning;

namespace DurableWorkflow.Tests.Infra;

/// <summary>infra/rollout.sh against stub az/curl/dotnet/zip: order of steps, the reset path, rollback, dry run.</summary>
[SupportedOSPlatform("linux")]
public sealed class RolloutScriptTests : IDisposable
{
    private const string Script = "infra/rollout.sh";
    private const string NewBuild = "abc123def456-20261124040000";

    private readonly StubSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Dry_run_prints_the_plan_and_calls_nothing()
    {
        var result = await _sandbox.RunScriptAsync(Script, "--dry-run", "--build-id", NewBuild);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Empty(_sandbox.Calls());
        var plan = result.StandardOutput;
        AssertInOrder(
            plan,
            "DRY RUN",
            "infra/package.sh --build-id " + NewBuild,
            "bootstrap-db.sh",
            "config-zip -g rg-test -n func-wf-test --slot staging",
            "/api/ready = 200 and /api/cluster/info server_build_id = " + NewBuild,
            "--action preview",
            "--action reset",
            "--action swap",
            "infra/rollout.sh rollback");
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
    }

    [Fact]
    public async Task Dry_run_of_rollback_calls_nothing()
    {
        var result = await _sandbox.RunScriptAsync(Script, "rollback", "--dry-run");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Empty(_sandbox.Calls());
        Assert.Contains("--slot staging --target-slot production --action swap", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_packages_bootstraps_deploys_to_staging_waits_previews_and_swaps_in_order()
    {
        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild);

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = _sandbox.Calls();
        AssertCallsInOrder(
            calls,
            "dotnet publish ",
            "zip ",
            "az keyvault secret show --vault-name kv-wf-test --name dw-db-connection",
            "dotnet run --project " + InfraPaths.InRepo("dbup") + " -c Release",
            "bootstrap-env DW_DB_CONNECTION=Host=db.stub.invalid",
            "az functionapp config appsettings set -g rg-test -n func-wf-test --slot staging --settings DW_SERVER_BUILD_ID=" + NewBuild,
            "az functionapp deployment source config-zip -g rg-test -n func-wf-test --slot staging --src ",
            "curl -sS -o ",
            "az functionapp deployment slot swap -g rg-test -n func-wf-test --slot staging --target-slot production --action preview",
            "curl ",
            "az functionapp deployment slot swap -g rg-test -n func-wf-test --slot staging --target-slot production --action swap",
            "curl ");
        Assert.DoesNotContain(calls, c => c.Contains("--action reset", StringComparison.Ordinal));
        Assert.Single(calls, c => c.Contains("--action swap", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.StartsWith("curl ", StringComparison.Ordinal) && c.Contains($"https://{StubSandbox.StagingHost}/api/ready", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.StartsWith("curl ", StringComparison.Ordinal) && c.Contains($"https://{StubSandbox.ProductionHost}/api/cluster/info", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains(StubSandbox.OperatorToken, StringComparison.Ordinal));
        Assert.DoesNotContain(StubSandbox.OperatorToken, result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=stub", result.StandardOutput, StringComparison.Ordinal);

        Assert.Equal(NewBuild, _sandbox.SlotBuild("production"));
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("staging"));
        Assert.Contains($"ROLLOUT DONE: production serves {NewBuild} (was {StubSandbox.OldBuild})", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"server_build_id={NewBuild}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bootstrap_failure_stops_before_anything_is_deployed()
    {
        _sandbox.Environment["STUB_BOOTSTRAP_EXIT"] = "3";

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", _sandbox.FixtureZip);

        Assert.Equal(11, result.ExitCode);
        var calls = _sandbox.Calls();
        Assert.Contains(calls, c => c.StartsWith("dotnet run --project ", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains("appsettings set", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains("config-zip", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains("slot swap", StringComparison.Ordinal));
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
    }

    [Fact]
    public async Task Given_package_from_the_custom_handler_layout_is_refused_before_the_bootstrap()
    {
        var legacy = Path.Combine(_sandbox.Root, "legacy.zip");
        StubSandbox.WriteFixtureZip(legacy, layout =>
        {
            layout.Remove("functions.metadata");
            layout["api/function.json"] = """{"bindings":[{"type":"httpTrigger","route":"{*rest}"}]}""";
        });

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", legacy);

        Assert.Equal(10, result.ExitCode);
        Assert.Contains("package: ERROR: zip: lacks functions.metadata", result.StandardError, StringComparison.Ordinal);
        var calls = _sandbox.Calls();
        Assert.DoesNotContain(calls, c => c.StartsWith("dotnet ", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains("appsettings set", StringComparison.Ordinal) || c.Contains("config-zip", StringComparison.Ordinal));
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
    }

    [Fact]
    public async Task Staging_that_never_gets_ready_stops_before_the_swap_preview()
    {
        _sandbox.Environment["STUB_STAGING_READY"] = "503";

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", _sandbox.FixtureZip);

        Assert.Equal(20, result.ExitCode);
        var calls = _sandbox.Calls();
        Assert.Contains(calls, c => c.Contains("config-zip", StringComparison.Ordinal) && c.Contains("--slot staging", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains("slot swap", StringComparison.Ordinal));
        Assert.Contains("GET /api/ready -> 503", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("production untouched", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(15), result.Describe());
    }

    [Fact]
    public async Task Readiness_failure_after_preview_resets_the_swap_and_never_completes_it()
    {
        _sandbox.Environment["STUB_PREVIEW_READY"] = "503";

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", _sandbox.FixtureZip);

        Assert.Equal(31, result.ExitCode);
        var calls = _sandbox.Calls();
        AssertCallsInOrder(
            calls,
            "dotnet run --project ",
            "config-zip",
            "--action preview",
            "curl ",
            "--action reset");
        Assert.DoesNotContain(calls, c => c.Contains("--action swap", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_sandbox.State, "previewed")));
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
        Assert.Contains("production still on " + StubSandbox.OldBuild, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_build_after_preview_fails_verification_and_resets()
    {
        _sandbox.Environment["STUB_PREVIEW_BUILD"] = StubSandbox.OldBuild;

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", _sandbox.FixtureZip);

        Assert.Equal(31, result.ExitCode);
        var calls = _sandbox.Calls();
        AssertCallsInOrder(calls, "--action preview", "--action reset");
        Assert.DoesNotContain(calls, c => c.Contains("--action swap", StringComparison.Ordinal));
        Assert.Contains($"server_build_id={StubSandbox.OldBuild} (want {NewBuild})", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
    }

    [Fact]
    public async Task Failed_preview_command_resets_and_never_swaps()
    {
        _sandbox.Environment["STUB_AZ_FAIL"] = "--action preview";

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", _sandbox.FixtureZip);

        Assert.Equal(30, result.ExitCode);
        var calls = _sandbox.Calls();
        AssertCallsInOrder(calls, "--action preview", "--action reset");
        Assert.DoesNotContain(calls, c => c.Contains("--action swap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Production_failing_after_the_swap_is_swapped_back_automatically()
    {
        _sandbox.Environment["STUB_PROD_READY_AFTER_SWAP"] = "503";

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild, "--package", _sandbox.FixtureZip);

        Assert.Equal(40, result.ExitCode);
        var swaps = _sandbox.Calls().Where(c => c.Contains("--action swap", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, swaps.Count);
        Assert.Equal(StubSandbox.OldBuild, _sandbox.SlotBuild("production"));
        Assert.Equal(NewBuild, _sandbox.SlotBuild("staging"));
    }

    [Fact]
    public async Task Rollback_swaps_back_and_confirms_the_previous_build_in_production()
    {
        var result = await _sandbox.RunScriptAsync(Script, "rollback");

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = _sandbox.Calls();
        AssertCallsInOrder(
            calls,
            "az account show",
            $"curl -sS -o ",
            "az functionapp deployment slot swap -g rg-test -n func-wf-test --slot staging --target-slot production --action swap",
            $"https://{StubSandbox.ProductionHost}/api/ready");
        Assert.DoesNotContain(calls, c => c.Contains("config-zip", StringComparison.Ordinal) || c.StartsWith("dotnet ", StringComparison.Ordinal));
        Assert.Equal(StubSandbox.OlderBuild, _sandbox.SlotBuild("production"));
        Assert.Contains($"ROLLBACK DONE: production serves {StubSandbox.OlderBuild}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_app_settings_fail_fast_without_azure_calls()
    {
        _sandbox.Environment["FUNCTION_APP_NAME"] = null;

        var result = await _sandbox.RunScriptAsync(Script, "--build-id", NewBuild);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FUNCTION_APP_NAME is not set", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(_sandbox.Calls());
    }

    private static void AssertInOrder(string text, params string[] fragments)
    {
        var position = 0;
        foreach (var fragment in fragments)
        {
            var found = text.IndexOf(fragment, position, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{fragment}' not found after position {position} in:\n{text}");
            position = found + fragment.Length;
        }
    }

    private static void AssertCallsInOrder(IReadOnlyList<string> calls, params string[] fragments)
    {
        var index = 0;
        foreach (var fragment in fragments)
        {
            while (index < calls.Count && !calls[index].Contains(fragment, StringComparison.Ordinal))
            {
                index++;
            }

            Assert.True(index < calls.Count, $"no call containing '{fragment}' in the expected order; calls:\n{string.Join('\n', calls)}");
            index++;
        }
    }
}
