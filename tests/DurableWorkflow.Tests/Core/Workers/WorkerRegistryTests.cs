using System.Text.Json;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Workers;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Workers;

/// <summary>Poll admission (worker protocol §2.4, rollout contract §14.1 items 18 and 21) against the real registry.</summary>
public sealed class WorkerRegistryTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    private WorkerRegistry Registry => server.Services.GetRequiredService<WorkerRegistry>();

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task unregistered_worker_is_412_worker_not_registered()
    {
        var result = await Registry.AdmitPollAsync("default", "ghost-worker", "orders", null, PollKind.Workflow, CancellationToken.None);

        Assert.Equal(412, result.Status);
        Assert.Equal("worker_not_registered", result.Error!.Reason);
        Assert.Equal("Worker must be registered before polling. Call POST /worker/register first.", result.Error.Message);
        Assert.Equal("ghost-worker", (string?)result.Error.Details["worker_id"]);
    }

    [Theory]
    [InlineData(PollKind.Workflow)]
    [InlineData(PollKind.Activity)]
    [InlineData(PollKind.Query)]
    public async Task another_queue_is_409_task_queue_mismatch(PollKind kind)
    {
        var workerId = await RegisterAsync("""{"task_queue":"queue-a","runtime":"python"}""");

        var result = await Registry.AdmitPollAsync("default", workerId, "queue-b", null, kind, CancellationToken.None);

        Assert.Equal(409, result.Status);
        Assert.Equal("task_queue_mismatch", result.Error!.Reason);
        Assert.Equal(workerId, (string?)result.Error.Details["worker_id"]);
        Assert.Equal("queue-a", (string?)result.Error.Details["registered_task_queue"]);
        Assert.Equal("queue-b", (string?)result.Error.Details["requested_task_queue"]);
    }

    [Theory]
    [InlineData(PollKind.Workflow)]
    [InlineData(PollKind.Activity)]
    public async Task conflicting_build_id_is_409_build_id_mismatch(PollKind kind)
    {
        var workerId = await RegisterAsync("""{"task_queue":"builds","runtime":"python","build_id":"v1"}""");

        var result = await Registry.AdmitPollAsync("default", workerId, "builds", "v2", kind, CancellationToken.None);

        Assert.Equal(409, result.Status);
        Assert.Equal("build_id_mismatch", result.Error!.Reason);
        Assert.Equal(workerId, (string?)result.Error.Details["worker_id"]);
        Assert.Equal("v1", (string?)result.Error.Details["registered_build_id"]);
        Assert.Equal("v2", (string?)result.Error.Details["requested_build_id"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1")]
    public async Task omitted_or_equal_build_id_is_admitted_and_the_registered_one_is_authoritative(string? requested)
    {
        var workerId = await RegisterAsync(
            """{"task_queue":"admitted","runtime":"python","build_id":"v1","supported_workflow_types":["a"],"workflow_definition_fingerprints":{"a":"sha256:1"},"capabilities":["query_tasks"]}""");

        var result = await Registry.AdmitPollAsync("default", workerId, "admitted", requested, PollKind.Workflow, CancellationToken.None);

        Assert.Null(result.Error);
        var registration = result.Value!;
        Assert.Equal("v1", registration.MatchingBuildId);
        Assert.Equal(["a"], registration.SupportedWorkflowTypes);
        Assert.Empty(registration.SupportedActivityTypes);
        Assert.True(registration.AcceptsActivityType("anything"));
        Assert.False(registration.AcceptsWorkflowType("b"));
        Assert.Equal("sha256:1", registration.WorkflowDefinitionFingerprints["a"]);
        Assert.Equal(["query_tasks"], registration.Capabilities);
        Assert.Equal(WorkerStatus.Active, registration.Status);
    }

    [Fact]
    public async Task query_polls_skip_the_build_id_check()
    {
        var workerId = await RegisterAsync("""{"task_queue":"queries","runtime":"python","build_id":"v1"}""");

        var result = await Registry.AdmitPollAsync("default", workerId, "queries", "v9", PollKind.Query, CancellationToken.None);

        Assert.Null(result.Error);
    }

    [Theory]
    [InlineData(PollKind.Workflow)]
    [InlineData(PollKind.Activity)]
    public async Task draining_worker_is_409_worker_draining_with_a_null_task(PollKind kind)
    {
        var queue = $"drain-{kind}".ToLowerInvariant();
        await database.ExecuteAsync(
            $"INSERT INTO workflow_worker_build_id_rollouts (namespace, task_queue, build_id, drain_intent, drained_at) VALUES ('default', '{queue}', 'old', 'draining', now())");
        var workerId = await RegisterAsync($$"""{"task_queue":"{{queue}}","runtime":"python","build_id":"old"}""");

        var result = await Registry.AdmitPollAsync("default", workerId, queue, null, kind, CancellationToken.None);

        Assert.Equal(409, result.Status);
        var error = result.Error!;
        Assert.Equal("worker_draining", error.Reason);
        Assert.True(error.Details.ContainsKey("task"));
        Assert.Null(error.Details["task"]);
        Assert.Equal("draining", (string?)error.Details["poll_status"]);
        Assert.Equal("draining", (string?)error.Details["worker_status"]);
        Assert.Equal("draining", (string?)error.Details["drain_intent"]);
        Assert.Equal("old", (string?)error.Details["registered_build_id"]);
    }

    [Fact]
    public async Task draining_worker_may_still_poll_queries()
    {
        await database.ExecuteAsync(
            "INSERT INTO workflow_worker_build_id_rollouts (namespace, task_queue, build_id, drain_intent, drained_at) VALUES ('default', 'drain-query', '', 'draining', now())");
        var workerId = await RegisterAsync("""{"task_queue":"drain-query","runtime":"python"}""");

        var result = await Registry.AdmitPollAsync("default", workerId, "drain-query", null, PollKind.Query, CancellationToken.None);

        Assert.Null(result.Error);
        Assert.True(result.Value!.IsDraining);
    }

    [Fact]
    public async Task admission_follows_the_rollout_row_before_the_next_heartbeat()
    {
        var workerId = await RegisterAsync("""{"task_queue":"flip","runtime":"python","build_id":"b1"}""");

        await database.ExecuteAsync(
            "INSERT INTO workflow_worker_build_id_rollouts (namespace, task_queue, build_id, drain_intent, drained_at) VALUES ('default', 'flip', 'b1', 'draining', now())");
        var drained = await Registry.AdmitPollAsync("default", workerId, "flip", null, PollKind.Workflow, CancellationToken.None);
        await database.ExecuteAsync(
            "UPDATE workflow_worker_build_id_rollouts SET drain_intent = 'active', drained_at = NULL WHERE task_queue = 'flip'");
        await database.ExecuteAsync($"UPDATE workflow_worker_registrations SET status = 'draining' WHERE worker_id = '{workerId}'");
        var resumed = await Registry.AdmitPollAsync("default", workerId, "flip", null, PollKind.Workflow, CancellationToken.None);

        Assert.Equal("worker_draining", drained.Error?.Reason);
        Assert.Null(resumed.Error);
    }

    [Fact]
    public async Task stored_draining_status_without_a_rollout_row_blocks_claims()
    {
        var workerId = await RegisterAsync("""{"task_queue":"stored-drain","runtime":"python"}""");
        await database.ExecuteAsync($"UPDATE workflow_worker_registrations SET status = 'draining' WHERE worker_id = '{workerId}'");

        var result = await Registry.AdmitPollAsync("default", workerId, "stored-drain", null, PollKind.Activity, CancellationToken.None);

        Assert.Equal("worker_draining", result.Error?.Reason);
    }

    [Fact]
    public async Task registrations_are_namespace_scoped()
    {
        await database.ExecuteAsync("INSERT INTO workflow_namespaces (name) VALUES ('other-ns') ON CONFLICT DO NOTHING");
        var workerId = await RegisterAsync("""{"task_queue":"scoped","runtime":"python"}""");

        var result = await Registry.AdmitPollAsync("other-ns", workerId, "scoped", null, PollKind.Workflow, CancellationToken.None);

        Assert.Equal(412, result.Status);
    }

    [Fact]
    public void fingerprint_guard_keeps_fingerprints_of_still_advertised_types()
    {
        var existing = new ExistingRegistration(
            WorkerStatus.Active,
            new Dictionary<string, string> { ["a"] = "fa", ["b"] = "fb", ["c"] = "fc" },
            ["a", "b", "c"]);
        var request = new RegistrationRequest
        {
            TaskQueue = "q",
            Runtime = "python",
            SupportedWorkflowTypes = ["a", "b"],
            Fingerprints = [new("a", "fa")],
        };

        var check = FingerprintGuard.Evaluate(existing, request);

        Assert.Null(check.ChangedWorkflowType);
        Assert.Equal([new("a", "fa"), new("b", "fb")], check.Fingerprints);
    }

    [Fact]
    public void fingerprint_guard_uses_stored_types_when_the_request_omits_the_list()
    {
        var existing = new ExistingRegistration(WorkerStatus.Active, new Dictionary<string, string> { ["a"] = "fa" }, ["a"]);
        var request = new RegistrationRequest { TaskQueue = "q", Runtime = "python" };

        var check = FingerprintGuard.Evaluate(existing, request);

        Assert.Equal([new("a", "fa")], check.Fingerprints);
    }

    [Fact]
    public void fingerprint_guard_names_the_first_changed_type_of_an_active_registration_only()
    {
        var stored = new Dictionary<string, string> { ["a"] = "fa", ["b"] = "fb" };
        var request = new RegistrationRequest
        {
            TaskQueue = "q",
            Runtime = "python",
            Fingerprints = [new("new", "x"), new("b", "changed"), new("a", "changed")],
        };

        var active = FingerprintGuard.Evaluate(new ExistingRegistration(WorkerStatus.Active, stored, ["a", "b"]), request);
        var draining = FingerprintGuard.Evaluate(new ExistingRegistration(WorkerStatus.Draining, stored, ["a", "b"]), request);

        Assert.Equal("b", active.ChangedWorkflowType);
        Assert.Null(draining.ChangedWorkflowType);
        Assert.Equal(request.Fingerprints, draining.Fingerprints);
    }

    [Fact]
    public void scope_key_is_the_sha256_hex_of_the_scope()
    {
        var key = WorkerRegistrationRepository.ScopeKey("default", null, "orders");

        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.NotEqual(key, WorkerRegistrationRepository.ScopeKey("other", null, "orders"));
        Assert.Equal(key, WorkerRegistrationRepository.ScopeKey("default", null, "orders"));
    }

    [Theory]
    [InlineData(null, null, 10, 30)]
    [InlineData("20", null, 20, 60)]
    [InlineData("5", "7", 5, 7)]
    public void heartbeat_interval_and_stale_window_settings(string? interval, string? stale, int expectedInterval, int expectedStale)
    {
        var data = new Dictionary<string, string?>
        {
            ["DW_DB_CONNECTION"] = "Host=127.0.0.1;Database=dw",
            ["DW_WORKER_HEARTBEAT_INTERVAL_SECONDS"] = interval,
            ["DW_WORKER_STALE_AFTER_SECONDS"] = stale,
        };

        var settings = ServerSettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(data).Build());

        Assert.Equal(expectedInterval, settings.WorkerHeartbeatIntervalSeconds);
        Assert.Equal(expectedStale, settings.WorkerStaleAfterSeconds);
    }

    [Theory]
    [InlineData("DW_WORKER_HEARTBEAT_INTERVAL_SECONDS", "0")]
    [InlineData("DW_WORKER_HEARTBEAT_INTERVAL_SECONDS", "3601")]
    [InlineData("DW_WORKER_STALE_AFTER_SECONDS", "0")]
    public void invalid_worker_settings_name_the_setting(string key, string value)
    {
        var data = new Dictionary<string, string?> { ["DW_DB_CONNECTION"] = "Host=127.0.0.1;Database=dw", [key] = value };

        var error = Assert.Throws<ConfigurationException>(() => ServerSettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(data).Build()));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    private async Task<string> RegisterAsync(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = await Registry.RegisterAsync("default", document.RootElement.Clone(), CancellationToken.None);
        Assert.Null(result.Error);
        return result.Value!.WorkerId;
    }
}
