using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Operations;
using DurableWorkflow.Core.Readiness;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Configuration;

namespace DurableWorkflow.Tests.Core.Readiness;

/// <summary>Rollout contract §14.4 invariants 49–55 and §14.8 101–102 (readiness and boot-time admission).</summary>
public sealed class ReadinessInvariantTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    /// <summary>Nothing listens on port 1, so every connection attempt is refused at once.</summary>
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=dw;Username=dw;Timeout=2";

    private const int CacheBackendUnsafeEvent = 1450;
    private const int GuardrailsScannedEvent = 1451;

    [Fact]
    public async Task Invariant_049_health_is_200_serving_or_503_degraded_and_never_asks_for_credentials()
    {
        using var up = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var down = ServerFactory.WithRoleTokens(UnreachableDatabase);
        using var upClient = up.CreateClient();
        using var downClient = down.CreateClient();

        var (serving, servingBody) = await Ready.GetAsync(upClient, "/api/health");
        var (degraded, degradedBody) = await Ready.GetAsync(downClient, "/api/health");

        Assert.Equal(HttpStatusCode.OK, serving);
        Assert.Equal("serving", (string?)servingBody["status"]);
        Assert.Equal("ok", (string?)servingBody["checks"]!["database"]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, degraded);
        Assert.Equal("degraded", (string?)degradedBody["status"]);
        Assert.Equal("unavailable", (string?)degradedBody["checks"]!["database"]);
    }

    [Fact]
    public async Task Invariant_051_ready_is_503_while_the_database_is_unreachable()
    {
        using var server = ServerFactory.WithRoleTokens(UnreachableDatabase);
        using var client = server.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not_ready", (string?)body["status"]);
        Assert.Equal("unavailable", (string?)body["checks"]!["database"]!["status"]);
        Assert.Equal("blocked", (string?)body["checks"]!["workflow_v2"]!["status"]);
        Assert.Equal(["database", "migrations"], body["checks"]!["workflow_v2"]!["blocked_by"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public void Invariant_052_a_failed_probe_of_a_non_redis_store_is_unavailable_and_of_redis_a_warning()
    {
        var settings = Settings();
        var failure = CacheProbeResult.Failure("connection refused");

        var memory = CacheCheck.FromProbe(settings, "memory", shared: false, failure);
        var redis = CacheCheck.FromProbe(settings, "redis", shared: true, failure);
        var redisFatal = CacheCheck.FromProbe(Settings(("DW_READY_CACHE_POLICY", "fatal")), "redis", shared: true, failure);

        Assert.Equal("unavailable", memory.Status);
        Assert.False(memory.KeepsNodeReady);
        Assert.Equal("warning", redis.Status);
        Assert.True(redis.KeepsNodeReady);
        Assert.Equal("database", redis.CorrectnessSubstrate);
        Assert.Equal("long_poll_wake_acceleration", redis.DegradedCapability);
        Assert.Equal("unavailable", redisFatal.Status);
    }

    [Fact]
    public void Invariant_053_worker_compatibility_feeds_warning_checks_in_warn_mode_and_error_checks_in_fail_mode()
    {
        var backend = OperatorBackend.Describe(Settings());
        var uncovered = new WorkerCompatibilityFleet("build-2", ActiveWorkers: 0, ActiveWorkerScopes: 0, ActiveWorkersSupportingRequired: 0);

        var warned = WorkflowV2Check.FromSnapshot(OperatorHealth.EvaluateBounded(backend, WorkerCompatibilityCheck.Evaluate(uncovered, FleetValidationMode.Warn)));
        var failed = WorkflowV2Check.FromSnapshot(OperatorHealth.EvaluateBounded(backend, WorkerCompatibilityCheck.Evaluate(uncovered, FleetValidationMode.Fail)));

        Assert.Equal("warning", warned.Status);
        Assert.True(warned.KeepsNodeReady);
        Assert.Equal(200, warned.HttpStatus);
        Assert.Equal(["worker_compatibility"], warned.WarningChecks);
        Assert.Empty(warned.ErrorChecks!);
        Assert.Equal("error", failed.Status);
        Assert.False(failed.KeepsNodeReady);
        Assert.Equal(503, failed.HttpStatus);
        Assert.Equal(["worker_compatibility"], failed.ErrorChecks);
    }

    [Theory]
    [InlineData("fail", HttpStatusCode.ServiceUnavailable, "error_checks")]
    [InlineData("warn", HttpStatusCode.OK, "warning_checks")]
    public async Task Invariant_053_ready_with_a_required_marker_no_live_worker_supports(string mode, HttpStatusCode expected, string listedIn)
    {
        using var server = ServerFactory.WithRoleTokens(
            database.ConnectionString,
            ("DW_V2_CURRENT_COMPATIBILITY", $"inv53-{Guid.NewGuid():N}"),
            ("DW_V2_FLEET_VALIDATION_MODE", mode));
        using var client = server.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        var workflow = body["checks"]!["workflow_v2"]!;
        Assert.Equal(expected, status);
        Assert.Equal(["worker_compatibility"], workflow[listedIn]!.AsArray().Select(n => (string?)n));
        var check = workflow["checks"]!.AsArray().Single(c => (string?)c!["name"] == "worker_compatibility")!;
        Assert.Equal(mode, (string?)check["data"]!["validation_mode"]);
    }

    [Fact]
    public async Task Invariant_053_ready_reports_the_bounded_snapshot_of_a_covered_fleet_as_ok()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        var workflow = body["checks"]!["workflow_v2"]!;
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", (string?)workflow["status"]);
        Assert.Equal(200, (int)workflow["http_status"]!);
        Assert.Empty(workflow["error_checks"]!.AsArray());
        Assert.Empty(workflow["warning_checks"]!.AsArray());
        Assert.Equal(["backend_capabilities", "worker_compatibility"], workflow["checks"]!.AsArray().Select(c => (string?)c!["name"]));
        Assert.Equal("correctness", (string?)workflow["checks"]![1]!["category"]);
        Assert.NotNull(workflow["categories"]!["correctness"]);
    }

    [Fact]
    public async Task Invariant_054_a_warning_only_backend_keeps_the_node_ready()
    {
        using var server = ServerFactory.WithRoleTokens(
            database.ConnectionString, ("DW_V2_MULTI_NODE", "true"), ("DW_V2_VALIDATE_CACHE_BACKEND", "false"));
        using var client = server.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("warning", (string?)body["checks"]!["workflow_v2"]!["status"]);
        Assert.Equal(["backend_capabilities"], body["checks"]!["workflow_v2"]!["warning_checks"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("warning", (string?)body["checks"]!["cache"]!["status"]);
        Assert.False((bool)body["checks"]!["cache"]!["shared"]!);
    }

    [Fact]
    public void Invariant_055_ready_iff_every_check_is_ok_or_warning()
    {
        string[] statuses = ["ok", "warning", "missing", "pending", "invalid", "unavailable", "blocked", "error"];
        var ok = CheckResult.Ok;
        for (var slot = 0; slot < 6; slot++)
        {
            foreach (var status in statuses)
            {
                var checks = Enumerable.Range(0, 6).Select(i => i == slot ? new CheckResult { Status = status } : ok).ToArray();
                var report = ReadinessReport.Decide(new ReadinessChecks(checks[0], checks[1], checks[2], checks[3], checks[4], checks[5]), "t");

                Assert.Equal(status is "ok" or "warning", report.Ready);
                Assert.Equal(report.Ready ? "ready" : "not_ready", report.Status);
            }
        }
    }

    [Theory]
    [InlineData("warn", 1)]
    [InlineData("fail", 1)]
    [InlineData("silent", 0)]
    public async Task Invariant_101_multi_node_without_a_shared_cache_warns_once_unless_silent_and_boot_completes(string mode, int warnings)
    {
        var sink = new LogEventSink();
        using var server = ServerFactory.WithRoleTokens(
            database.ConnectionString, ("DW_V2_MULTI_NODE", "true"), ("DW_V2_CACHE_VALIDATION_MODE", mode));
        server.LogSink = sink;
        using var client = server.CreateClient();

        var (health, _) = await Ready.GetAsync(client, "/api/health");
        var (ready, body) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.OK, health);
        Assert.Equal(warnings, sink.Count(CacheBackendUnsafeEvent));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Equal("invalid", (string?)body["checks"]!["cache"]!["status"]);
    }

    [Theory]
    [InlineData("false", null, "warn")]
    [InlineData("true", "false", "warn")]
    public async Task Invariant_101_a_single_node_or_a_disabled_validator_never_reports_unsafe(string multiNode, string? validate, string mode)
    {
        var sink = new LogEventSink();
        using var server = ServerFactory.WithRoleTokens(
            database.ConnectionString, ("DW_V2_MULTI_NODE", multiNode), ("DW_V2_VALIDATE_CACHE_BACKEND", validate), ("DW_V2_CACHE_VALIDATION_MODE", mode));
        server.LogSink = sink;
        using var client = server.CreateClient();

        var (ready, _) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(0, sink.Count(CacheBackendUnsafeEvent));
        Assert.True(LongPollCacheValidator.Classify(Settings(("DW_V2_MULTI_NODE", "false"))).Safe);
    }

    [Theory]
    [InlineData("throw", 1)]
    [InlineData("fail", 1)]
    [InlineData("warn", 1)]
    [InlineData("silent", 0)]
    public async Task Invariant_102_guardrails_boot_scans_in_warn_and_throw_and_stays_silent_in_silent(string mode, int scans)
    {
        var sink = new LogEventSink();
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_V2_GUARDRAILS_BOOT", mode));
        server.LogSink = sink;
        using var client = server.CreateClient();

        var (ready, _) = await Ready.GetAsync(client);

        // No workflow class runs in this process, so no mode can find a replay-unsafe class: boot always completes.
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(scans, sink.Count(GuardrailsScannedEvent));
    }

    private static ServerSettings Settings(params (string Key, string? Value)[] values)
    {
        var data = new Dictionary<string, string?> { ["DW_DB_CONNECTION"] = "Host=127.0.0.1;Database=dw" };
        foreach (var (key, value) in values)
        {
            data[key] = value;
        }

        return ServerSettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(data).Build());
    }
}

public sealed class ReadinessBootstrapInvariantTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task Invariant_050_ready_is_503_before_bootstrap_and_200_after_it()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.CreateClient();

        var (before, body) = await Ready.GetAsync(client);
        var (exitCode, _) = await Fixtures.Bootstrap.RunAsync(database.ConnectionString);
        var (after, afterBody) = await Ready.GetAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before);
        Assert.Equal("blocked", (string?)body["checks"]!["workflow_v2"]!["status"]);
        Assert.Equal(["migrations"], body["checks"]!["workflow_v2"]!["blocked_by"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(0, exitCode);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.All(afterBody["checks"]!.AsObject(), c => Assert.Equal("ok", (string?)c.Value!["status"]));
    }
}

public sealed class ReadOnlyDatabaseReadinessTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public async Task Invariant_054_a_backend_capabilities_error_makes_ready_503()
    {
        // New sessions start read-only, as on a standby promoted the wrong way round or a database put in maintenance.
        await database.ExecuteAsync($"ALTER DATABASE {database.Name} SET default_transaction_read_only = on");
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.CreateClient();

        var (status, body) = await Ready.GetAsync(client);

        var workflow = body["checks"]!["workflow_v2"]!;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("ok", (string?)body["checks"]!["database"]!["status"]);
        Assert.Equal("error", (string?)workflow["status"]);
        Assert.Equal(503, (int)workflow["http_status"]!);
        Assert.Equal(["backend_capabilities"], workflow["error_checks"]!.AsArray().Select(n => (string?)n));
        var backend = workflow["checks"]!.AsArray().Single(c => (string?)c!["name"] == "backend_capabilities")!;
        Assert.Equal("database_read_only", (string?)backend["data"]!["issues"]![0]!["code"]);
    }
}
