using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class ControlPlaneContractTests
{
    [Theory]
    [InlineData("GET", "/api/workflows", "list", null, null, null)]
    [InlineData("POST", "/api/workflows", "start", null, null, null)]
    [InlineData("GET", "/api/workflows/wf-1", "describe", "wf-1", null, null)]
    [InlineData("GET", "/api/workflows/wf-1/runs", "list_runs", "wf-1", null, null)]
    [InlineData("GET", "/api/workflows/wf-1/runs/r1", "describe_run", "wf-1", "r1", null)]
    [InlineData("GET", "/api/workflows/wf-1/debug", "debug_workflow", "wf-1", null, null)]
    [InlineData("GET", "/api/workflows/wf-1/runs/r1/debug", "debug_workflow", "wf-1", "r1", null)]
    [InlineData("GET", "/api/workflows/wf-1/runs/r1/history", "history", "wf-1", "r1", null)]
    [InlineData("POST", "/api/workflows/wf-1/signal/advance", "signal", "wf-1", null, "advance")]
    [InlineData("POST", "/api/workflows/wf-1/runs/r1/signal/advance", "signal", "wf-1", "r1", "advance")]
    [InlineData("POST", "/api/workflows/wf-1/query/status", "query", "wf-1", null, "status")]
    [InlineData("POST", "/api/workflows/wf-1/update/approve", "update", "wf-1", null, "approve")]
    [InlineData("POST", "/api/workflows/wf-1/cancel", "cancel", "wf-1", null, null)]
    [InlineData("POST", "/api/workflows/wf-1/runs/r1/terminate", "terminate", "wf-1", "r1", null)]
    [InlineData("POST", "/api/workflows/wf-1/repair", "repair", "wf-1", null, null)]
    [InlineData("POST", "/api/workflows/wf-1/archive", "archive", "wf-1", null, null)]
    public void operations_are_derived_from_method_and_path(string method, string path, string operation, string? workflowId, string? runId, string? name)
    {
        var match = ControlPlaneContract.Match(method, path);

        Assert.NotNull(match);
        Assert.Equal(operation, match.Operation.Name);
        Assert.Equal(workflowId, match.WorkflowId);
        Assert.Equal(runId, match.RunId);
        Assert.Equal(name, match.OperationName);
    }

    [Theory]
    [InlineData("GET", "/api/workflows/wf-1/runs/r1/history/export")]
    [InlineData("GET", "/api/namespaces")]
    [InlineData("DELETE", "/api/workflows/wf-1")]
    [InlineData("POST", "/api/workflows/wf-1/runs/r1/repair")]
    public void other_paths_have_no_block(string method, string path) =>
        Assert.Null(ControlPlaneContract.Match(method, path));

    [Fact]
    public void block_projects_body_fields_and_url_ids()
    {
        var body = new JsonObject { ["outcome"] = "signal_received", ["reason"] = null };

        ControlPlaneContract.Attach(body, ControlPlaneContract.Match("POST", "/api/workflows/wf-9/runs/r2/signal/go")!);

        var block = body["control_plane"]!.AsObject();
        Assert.Equal("wf-9", (string?)body["workflow_id"]);
        Assert.Equal("r2", (string?)body["run_id"]);
        Assert.Equal("durable-workflow.v2.control-plane-response", (string?)block["schema"]);
        Assert.Equal(1, (int)block["version"]!);
        Assert.Equal("signal", (string?)block["operation"]);
        Assert.Equal("wf-9", (string?)block["workflow_id"]);
        Assert.Equal("go", (string?)block["operation_name"]);
        Assert.Equal("signal_name", (string?)block["operation_name_field"]);
        Assert.Equal("signal_received", (string?)block["outcome"]);
        Assert.True(block.ContainsKey("reason"));
        Assert.Equal("r2", (string?)block["run_id"]);
        var contract = block["contract"]!.AsObject();
        Assert.Equal("reject_non_canonical", (string?)contract["legacy_field_policy"]);
        Assert.Equal(["workflow_id", "operation_name", "operation_name_field"], contract["required_fields"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("query_name", (string?)contract["legacy_fields"]!["query"]);
    }
}
