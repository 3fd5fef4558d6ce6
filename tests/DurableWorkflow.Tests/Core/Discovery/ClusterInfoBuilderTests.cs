using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Discovery;
using Microsoft.Extensions.Time.Testing;

namespace DurableWorkflow.Tests.Core.Discovery;

public class ClusterInfoBuilderTests
{
    private const string CliBuild = "2.0.0-rc.35";
    private const string PythonSdkBuild = "2.0.0-rc.34";

    [Fact]
    public void Top_level_keys_carry_identity_and_every_section()
    {
        var settings = DiscoveryTestSettings.Create() with { DefaultNamespace = "orders" };
        var doc = Serialize(DiscoveryTestSettings.Build(settings));

        Assert.Equal(
            [
                "server_id", "version", "server_build_id", "default_namespace", "supported_sdk_versions", "capabilities",
                "worker_fleet", "task_repair", "limits", "structural_limits", "client_compatibility",
                "auth_composition_contract", "control_plane", "worker_protocol", "bridge_adapter_outcome_contract",
                "topology", "coordination_health",
            ],
            doc.Select(p => p.Key));
        Assert.Equal("node-a", (string?)doc["server_id"]);
        Assert.Equal(ServerVersion.Current, (string?)doc["version"]);
        Assert.Equal("build-2026-08-22", (string?)doc["server_build_id"]);
        Assert.Equal("orders", (string?)doc["default_namespace"]);
    }

    [Fact]
    public void Control_plane_advertises_version_2_and_the_request_contract_the_cli_checks()
    {
        var controlPlane = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()))["control_plane"]!;

        Assert.Equal("2", (string?)controlPlane["version"]);
        Assert.Equal("X-Durable-Workflow-Control-Plane-Version", (string?)controlPlane["header"]);
        var request = controlPlane["request_contract"]!;
        Assert.Equal("durable-workflow.v2.control-plane-request.contract", (string?)request["schema"]);
        Assert.Equal(JsonValueKind.Number, request["version"]!.GetValueKind());
        Assert.Equal(1, (int)request["version"]!);
        Assert.Equal(["list", "start", "update"], request["operations"]!.AsObject().Select(p => p.Key));
        AssertJson(
            """
            {"canonical_values": ["running", "completed", "failed"],
             "rejected_aliases": {"cancelled": "failed", "terminated": "failed", "pending": "running", "waiting": "running"}}
            """,
            request["operations"]!["list"]!["fields"]!["status"]);
        AssertJson(
            """{"canonical_values": ["fail", "use-existing"], "rejected_aliases": {"use_existing": "use-existing"}}""",
            request["operations"]!["start"]!["fields"]!["duplicate_policy"]);
        AssertJson("""{"type": "integer", "min": 1}""", request["operations"]!["start"]!["fields"]!["run_timeout_seconds"]);
        AssertJson(
            """["workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "retry_policy", "idempotency_key", "request_id"]""",
            request["operations"]!["start"]!["unsupported_fields"]);
        AssertJson(
            """{"fields": {"wait_for": {"canonical_values": ["accepted", "completed"]}}, "removed_fields": {"wait_policy": "Use wait_for."}}""",
            request["operations"]!["update"]);
    }

    [Fact]
    public void Response_contract_operations_equal_the_control_plane_operation_table()
    {
        var response = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()))["control_plane"]!["response_contract"]!;

        Assert.Equal("durable-workflow.v2.control-plane-response", (string?)response["schema"]);
        Assert.Equal(1, (int)response["version"]!);
        AssertJson(
            """
            {"schema": "durable-workflow.v2.control-plane-response.contract", "version": 1,
             "legacy_field_policy": "reject_non_canonical",
             "legacy_fields": {"query": "query_name", "signal": "signal_name", "update": "update_name", "wait_policy": "wait_for"}}
            """,
            response["contract"]);
        AssertJson(
            """
            {
              "list":           {"operation_name_field": null, "required_fields": [], "success_fields": []},
              "start":          {"operation_name_field": null, "required_fields": [], "success_fields": ["workflow_id", "outcome"]},
              "describe":       {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": []},
              "list_runs":      {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": []},
              "describe_run":   {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": ["run_id"]},
              "debug_workflow": {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": ["run_id", "diagnostic_status"]},
              "history":        {"operation_name_field": null, "required_fields": ["workflow_id", "run_id"], "success_fields": ["next_page_token"]},
              "signal":         {"operation_name_field": "signal_name", "required_fields": ["workflow_id", "operation_name", "operation_name_field"], "success_fields": ["outcome"]},
              "query":          {"operation_name_field": "query_name", "required_fields": ["workflow_id", "operation_name", "operation_name_field"], "success_fields": ["result"]},
              "update":         {"operation_name_field": "update_name", "required_fields": ["workflow_id", "operation_name", "operation_name_field"], "success_fields": ["outcome"]},
              "cancel":         {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": ["outcome"]},
              "terminate":      {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": ["outcome"]},
              "repair":         {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": ["outcome"]},
              "archive":        {"operation_name_field": null, "required_fields": ["workflow_id"], "success_fields": ["outcome"]}
            }
            """,
            response["operations"]);
        Assert.Equal(37, response["projected_fields"]!.AsArray().Count);
    }

    [Fact]
    public void No_engine_specific_codecs_are_advertised()
    {
        var doc = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()));

        Assert.False(doc["capabilities"]!.AsObject().ContainsKey("payload_codecs_engine_specific"));
        AssertJson("""["avro"]""", doc["capabilities"]!["payload_codecs"]);
        var payloadCodec = doc["control_plane"]!["request_contract"]!["operations"]!["start"]!["fields"]!["payload_codec"]!.AsObject();
        Assert.False(payloadCodec.ContainsKey("engine_specific_values"));
        AssertJson("""["avro"]""", payloadCodec["canonical_values"]);
    }

    [Theory]
    [InlineData(true, """["gzip", "deflate"]""")]
    [InlineData(false, "[]")]
    public void Response_compression_follows_the_setting(bool enabled, string expected)
    {
        var settings = DiscoveryTestSettings.Create() with { CompressionEnabled = enabled };
        var doc = Serialize(DiscoveryTestSettings.Build(settings));

        AssertJson(expected, doc["capabilities"]!["response_compression"]);
        AssertJson(expected, doc["worker_protocol"]!["server_capabilities"]!["response_compression"]);
    }

    [Theory]
    [InlineData("1.1", """["1.0", "1.1"]""")]
    [InlineData("1.3", """["1.0", "1.1", "1.2", "1.3"]""")]
    public void Worker_protocol_publishes_the_configured_version_and_its_negotiation_rule(string version, string accepted)
    {
        var settings = DiscoveryTestSettings.Create() with { WorkerProtocolVersion = version };
        var doc = Serialize(DiscoveryTestSettings.Build(settings));
        var workerProtocol = doc["worker_protocol"]!;

        Assert.Equal(version, (string?)workerProtocol["version"]);
        Assert.Equal(version, (string?)doc["client_compatibility"]!["required_protocols"]!["worker_protocol"]!["version"]);
        Assert.Equal("same_major_and_minor_less_than_or_equal_to_advertised", (string?)workerProtocol["request_header_rule"]);
        AssertJson(accepted, workerProtocol["accepted_request_versions_by_default"]);
        AssertJson(
            """["missing_header", "malformed_version", "different_major", "minor_greater_than_advertised"]""",
            workerProtocol["fail_closed_on"]);
        Assert.True((bool)workerProtocol["server_capabilities"]!["query_tasks"]!);
    }

    [Fact]
    public void Default_worker_protocol_version_satisfies_the_python_sdk_floor()
    {
        var version = (string)Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()))["worker_protocol"]!["version"]!;

        // The SDK refuses to register unless the server speaks major 1 with minor >= 1.
        var parts = version.Split('.');
        Assert.Equal(2, parts.Length);
        Assert.Equal(1, int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public void Server_capabilities_follow_settings_and_list_the_accepted_commands()
    {
        var settings = DiscoveryTestSettings.Create() with { WorkerPollTimeoutSeconds = 45 };
        var capabilities = Serialize(DiscoveryTestSettings.Build(settings))["worker_protocol"]!["server_capabilities"]!;

        Assert.Equal(45, (int)capabilities["long_poll_timeout"]!);
        Assert.Equal(500, (int)capabilities["history_page_size_default"]!);
        Assert.Equal(1000, (int)capabilities["history_page_size_max"]!);
        Assert.True((bool)capabilities["workflow_task_poll_request_idempotency"]!);
        var commands = capabilities["supported_workflow_task_commands"]!.AsArray().Select(c => (string?)c).ToList();
        Assert.Equal(["complete_workflow", "fail_workflow", "continue_as_new"], commands.Take(3));
        Assert.Contains("open_condition_wait", commands);
        Assert.Contains("upsert_search_attributes", commands);
        AssertJson("""{"supported_encodings": ["gzip", "deflate"], "compression_threshold": 50}""", capabilities["history_compression"]);
        AssertJson(
            """{"schema": "durable-workflow.v2.invocable-carrier.contract", "version": 1, "carrier_type": "invocable_http"}""",
            capabilities["invocable_carrier"]);
    }

    [Fact]
    public void Worker_envelope_capabilities_match_cluster_info_and_are_fresh_per_call()
    {
        var settings = DiscoveryTestSettings.Create() with { CompressionEnabled = false };
        var builder = new ClusterInfoBuilder(settings);

        var first = builder.ServerCapabilitiesJson();
        var second = builder.ServerCapabilitiesJson();

        Assert.NotSame(first, second);
        _ = new JsonObject { ["server_capabilities"] = first };
        _ = new JsonObject { ["server_capabilities"] = second };
        AssertJson(
            Serialize(DiscoveryTestSettings.Build(settings))["worker_protocol"]!["server_capabilities"]!.ToJsonString(),
            first);
    }

    [Fact]
    public void Cli_build_is_inside_every_advertised_cli_range()
    {
        var doc = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()));
        var cliClient = doc["client_compatibility"]!["clients"]!["cli"]!;

        Assert.True(CliVersionConstraint.Matches(CliBuild, (string)cliClient["supported_versions"]!));
        Assert.True(CliVersionConstraint.Matches(CliBuild, (string)doc["supported_sdk_versions"]!["cli"]!));
        AssertJson("""["auth_composition.version", "control_plane.version", "control_plane.request_contract"]""", cliClient["requires"]);
    }

    [Fact]
    public void Python_sdk_build_is_inside_every_advertised_python_range()
    {
        var doc = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()));

        Assert.True(CliVersionConstraint.Matches(PythonSdkBuild, (string)doc["client_compatibility"]!["clients"]!["sdk-python"]!["supported_versions"]!));
        Assert.True(CliVersionConstraint.Matches(PythonSdkBuild, (string)doc["supported_sdk_versions"]!["python"]!));
        Assert.Equal(">=1.0", (string?)doc["supported_sdk_versions"]!["php"]);
    }

    [Fact]
    public void Client_compatibility_names_protocol_manifests_as_the_authority()
    {
        var compatibility = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()))["client_compatibility"]!;

        Assert.Equal("durable-workflow.v2.client-compatibility", (string?)compatibility["schema"]);
        Assert.Equal("protocol_manifests", (string?)compatibility["authority"]);
        Assert.Equal("informational", (string?)compatibility["top_level_version_role"]);
        Assert.True((bool)compatibility["fail_closed"]!);
        AssertJson(
            """
            {"version": "2", "header": "X-Durable-Workflow-Control-Plane-Version",
             "request_contract": {"schema": "durable-workflow.v2.control-plane-request.contract", "version": 1}}
            """,
            compatibility["required_protocols"]!["control_plane"]);
        AssertJson(
            """{"schema": "durable-workflow.v2.auth-composition.contract", "version": 1}""",
            compatibility["required_protocols"]!["auth_composition"]);
    }

    [Fact]
    public void Contract_manifests_carry_schema_version_and_their_top_level_keys()
    {
        var doc = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create()));
        var workerProtocol = doc["worker_protocol"]!;

        AssertManifest(doc["auth_composition_contract"], "durable-workflow.v2.auth-composition.contract",
            "scope", "unknown_field_policy", "precedence", "canonical_environment", "auth_material", "effective_config", "redaction", "resolution");
        AssertManifest(workerProtocol["external_execution_surface_contract"], "durable-workflow.v2.external-execution-surface.contract",
            "product_boundary", "runtime_boundary", "mvp", "contract_seams", "carrier_neutrality", "non_goals");
        AssertManifest(workerProtocol["external_executor_config_contract"], "durable-workflow.v2.external-executor-config.contract",
            "config_schema", "steady_state_surface", "override_precedence", "server_runtime", "validation", "redaction", "runtime");
        AssertManifest(workerProtocol["invocable_carrier_contract"], "durable-workflow.v2.invocable-carrier.contract",
            "carrier_type", "scope", "config_binding", "target_fields", "request", "response", "failure_mapping", "auth", "rollout_safety");
        AssertManifest(workerProtocol["external_task_input_contract"], "durable-workflow.v2.external-task-input.contract",
            "unknown_field_policy", "versioning", "payload_support", "scope", "envelopes", "fixtures");
        AssertManifest(workerProtocol["external_task_result_contract"], "durable-workflow.v2.external-task-result.contract",
            "unknown_field_policy", "versioning", "exit_codes", "stderr_policy", "payload_support", "envelopes", "fixtures");
        AssertManifest(doc["bridge_adapter_outcome_contract"], "durable-workflow.v2.bridge-adapter-outcome.contract",
            "boundary", "patterns", "idempotency", "visibility", "outcomes", "rejection_reasons", "examples", "reference_journeys");

        AssertJson(
            """
            {"server_url": "DURABLE_WORKFLOW_SERVER_URL", "namespace": "DURABLE_WORKFLOW_NAMESPACE",
             "auth_token": "DURABLE_WORKFLOW_AUTH_TOKEN", "tls_verify": "DURABLE_WORKFLOW_TLS_VERIFY", "profile": "DW_ENV"}
            """,
            doc["auth_composition_contract"]!["canonical_environment"]);
        Assert.Equal("not_configured", (string?)workerProtocol["external_executor_config_contract"]!["runtime"]!["status"]);
    }

    [Theory]
    [InlineData(true, "in_worker", "worker_loop")]
    [InlineData(false, "dedicated", "dedicated_repair_pass")]
    public void Topology_matching_role_is_a_pure_function_of_queue_wake(bool queueWake, string shape, string wakeOwner)
    {
        var settings = DiscoveryTestSettings.Create() with { QueueWakeEnabled = queueWake, WorkflowTaskLeaseSeconds = 120 };
        var topology = Serialize(DiscoveryTestSettings.Build(settings))["topology"]!;

        Assert.Equal("durable-workflow.v2.role-topology", (string?)topology["schema"]);
        Assert.Equal(4, (int)topology["version"]!);
        AssertJson("""["embedded", "standalone_server", "split_control_execution"]""", topology["supported_shapes"]);
        AssertJson(
            """["api_ingress", "control_plane", "matching", "history_projection", "scheduler", "execution_plane"]""",
            topology["role_vocabulary"]);
        Assert.Equal("standalone_server", (string?)topology["current_shape"]);
        Assert.Equal("server_http_node", (string?)topology["current_process_class"]);
        AssertJson("""["api_ingress", "control_plane", "matching", "history_projection"]""", topology["current_roles"]);
        Assert.Equal("remote_worker_protocol", (string?)topology["execution_mode"]);
        AssertJson(
            $$"""
            {
              "queue_wake_enabled": {{(queueWake ? "true" : "false")}},
              "shape": "{{shape}}",
              "wake_owner": "{{wakeOwner}}",
              "task_dispatch_mode": "poll",
              "partition_primitives": ["connection", "queue", "compatibility", "namespace"],
              "backpressure_model": "lease_ownership",
              "discovery_limits": {"poll_batch_cap": 100, "availability_ceiling_seconds": 1, "wake_signal_ttl_seconds": 60,
                                   "workflow_task_lease_seconds": 120, "activity_task_lease_seconds": 300}
            }
            """,
            topology["matching_role"]);
    }

    [Theory]
    [InlineData(30, 60)]
    [InlineData(0, 60)]
    [InlineData(60, 65)]
    public void Wake_signal_ttl_outlives_a_long_poll(int pollTimeout, int expectedTtl)
    {
        var settings = DiscoveryTestSettings.Create() with { WorkerPollTimeoutSeconds = pollTimeout };

        Assert.Equal(expectedTtl, MatchingRoleSnapshot.From(settings).DiscoveryLimits.WakeSignalTtlSeconds);
    }

    [Fact]
    public void Topology_describes_every_role_and_marks_the_ones_this_node_hosts()
    {
        var settings = DiscoveryTestSettings.Create() with { TopologyShape = "split_control_execution", ProcessClass = "matching_node" };
        var topology = Serialize(DiscoveryTestSettings.Build(settings))["topology"]!;

        Assert.Equal("split_control_execution", (string?)topology["current_shape"]);
        Assert.Equal("matching_node", (string?)topology["current_process_class"]);
        AssertJson("""["matching"]""", topology["current_roles"]);
        var catalog = topology["role_catalog"]!.AsObject();
        Assert.Equal(TopologyCatalog.RoleVocabulary, catalog.Select(p => p.Key));
        Assert.All(catalog, entry => Assert.Equal(entry.Key == "matching", (bool)entry.Value!["hosted_by_current_node"]!));
        Assert.True((bool)catalog["execution_plane"]!["runs_user_code"]!);
        Assert.True((bool)catalog["api_ingress"]!["accepts_external_http"]!);
        Assert.Equal("external_http", (string?)catalog["api_ingress"]!["steady_state_interface"]);
        Assert.All(
            TopologyCatalog.RoleVocabulary,
            role =>
            {
                Assert.Equal(JsonValueKind.Array, topology["authority_boundaries"]![role]!["writes"]!.GetValueKind());
                Assert.Equal(JsonValueKind.String, topology["scaling_boundaries"]![role]!.GetValueKind());
            });
        Assert.All(
            topology["failure_domains"]!.AsObject(),
            domain =>
            {
                Assert.False(string.IsNullOrEmpty((string?)domain.Value!["operator_signal"]));
                Assert.False(string.IsNullOrEmpty((string?)domain.Value!["effect"]));
            });
    }

    [Fact]
    public void Coordination_health_reports_ok_with_all_its_keys()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 4, 29, 18, 42, 0, 123, TimeSpan.FromHours(2)));
        var health = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create(), time: time))["coordination_health"]!;

        AssertJson(
            """
            {"schema": "durable-workflow.v2.coordination-health.contract", "version": 1, "namespace_scope": "all_namespaces",
             "status": "ok", "http_status": 200, "generated_at": "2026-04-29T16:42:00.123000Z",
             "categories": {}, "warning_checks": [], "error_checks": [], "checks": []}
            """,
            health);
    }

    [Fact]
    public void Coordination_health_takes_the_worst_check()
    {
        var now = DateTimeOffset.UnixEpoch;
        CoordinationCheck[] checks =
        [
            new("worker_compatibility", "warning", "correctness", "No active worker supports the required build."),
            new("long_poll_wake_acceleration", "ok", "acceleration", "Wake signals propagate."),
        ];

        var warning = CoordinationHealth.FromChecks(checks, now);
        var error = CoordinationHealth.FromChecks([.. checks, new("task_transport", "error", "correctness", "Down.")], now);

        Assert.Equal(("warning", 200), (warning.Status, warning.HttpStatus));
        Assert.Equal(["worker_compatibility"], warning.WarningChecks);
        Assert.Equal(new Dictionary<string, int> { ["correctness"] = 1, ["acceleration"] = 1 }, warning.Categories);
        Assert.Equal(("error", 503), (error.Status, error.HttpStatus));
        Assert.Equal(["task_transport"], error.ErrorChecks);
    }

    [Fact]
    public void Default_repair_snapshot_and_empty_fleet_serve_before_the_engine_exists()
    {
        var doc = Serialize(DiscoveryTestSettings.Build(DiscoveryTestSettings.Create(), requestNamespace: "billing"));

        AssertJson(
            """{"namespace": "billing", "active_workers": 0, "active_worker_scopes": 0, "queues": [], "build_ids": [], "workers": []}""",
            doc["worker_fleet"]);
        AssertJson(
            """
            {"redispatch_after_seconds": 3, "loop_throttle_seconds": 5, "scan_limit": 25, "scan_strategy": "scope_fair_round_robin",
             "failure_backoff_max_seconds": 60, "failure_backoff_strategy": "exponential_by_repair_count"}
            """,
            doc["task_repair"]!["policy"]);
        AssertJson(
            """
            {"existing_task_candidates": 0, "missing_task_candidates": 0, "total_candidates": 0, "scan_limit": 25,
             "scan_strategy": "scope_fair_round_robin", "selected_existing_task_candidates": 0,
             "selected_missing_task_candidates": 0, "selected_total_candidates": 0,
             "existing_task_scan_limit_reached": false, "missing_task_scan_limit_reached": false, "scan_pressure": false,
             "oldest_task_candidate_created_at": null, "oldest_missing_run_started_at": null,
             "max_task_candidate_age_ms": 0, "max_missing_run_age_ms": 0, "scopes": []}
            """,
            doc["task_repair"]!["candidates"]);
    }

    [Fact]
    public void Fleet_workers_carry_microsecond_utc_timestamps()
    {
        var recorded = new DateTimeOffset(2026, 4, 25, 7, 29, 50, TimeSpan.Zero);
        var fleet = WorkerFleetSummary.Empty("default") with
        {
            ActiveWorkers = 1,
            ActiveWorkerScopes = 1,
            Queues = ["orders"],
            BuildIds = ["build-a"],
            Workers = [new FleetWorker { WorkerId = "worker-a", Queues = ["orders"], BuildIds = ["build-a"], RecordedAt = recorded }],
        };

        var info = new ClusterInfoBuilder(DiscoveryTestSettings.Create()).Build("default", fleet, TaskRepairSnapshot.Default);

        AssertJson(
            """
            [{"worker_id": "worker-a", "queues": ["orders"], "build_ids": ["build-a"],
              "recorded_at": "2026-04-25T07:29:50.000000Z", "expires_at": null}]
            """,
            Serialize(info)["worker_fleet"]!["workers"]);
    }

    [Fact]
    public void Limits_follow_settings_and_structural_limits_use_defaults()
    {
        var settings = DiscoveryTestSettings.Create() with { MaxPayloadBytes = 1_048_576 };
        var doc = Serialize(DiscoveryTestSettings.Build(settings));

        AssertJson(
            """
            {"max_payload_bytes": 1048576, "max_memo_bytes": 262144, "max_search_attributes": 100,
             "max_search_attribute_key_length": 128, "max_search_attribute_value_bytes": 2048,
             "max_operation_name_length": 256, "max_pending_activities": 2000, "max_pending_children": 2000}
            """,
            doc["limits"]);
        Assert.Equal(2000, (int)doc["structural_limits"]!["pending_activity_count"]!);
        Assert.Equal(80, (int)doc["structural_limits"]!["warning_threshold_percent"]!);
    }

    [Fact]
    public void Build_rejects_a_fleet_of_another_namespace()
    {
        var builder = new ClusterInfoBuilder(DiscoveryTestSettings.Create());

        Assert.Throws<ArgumentException>(() => builder.Build("orders", WorkerFleetSummary.Empty("default"), TaskRepairSnapshot.Default));
    }

    [Fact]
    public void Source_generated_and_reflection_serializers_agree()
    {
        var info = DiscoveryTestSettings.Build(DiscoveryTestSettings.Create());

        var generated = JsonSerializer.Serialize(info, DiscoveryJsonContext.Default.ClusterInfo);
        var reflected = JsonSerializer.Serialize(info);

        Assert.Equal(generated, reflected);
    }

    private static JsonObject Serialize(ClusterInfo info) =>
        JsonNode.Parse(JsonSerializer.Serialize(info, DiscoveryJsonContext.Default.ClusterInfo))!.AsObject();

    private static void AssertJson(string expected, JsonNode? actual)
    {
        var expectedNode = JsonNode.Parse(expected);
        Assert.True(
            JsonNode.DeepEquals(expectedNode, actual),
            $"Expected {expectedNode?.ToJsonString()} but got {actual?.ToJsonString()}");
    }

    private static void AssertManifest(JsonNode? manifest, string schema, params string[] keys)
    {
        Assert.NotNull(manifest);
        Assert.Equal(schema, (string?)manifest["schema"]);
        Assert.Equal(1, (int)manifest["version"]!);
        Assert.Equal(["schema", "version", .. keys], manifest.AsObject().Select(p => p.Key));
    }
}
