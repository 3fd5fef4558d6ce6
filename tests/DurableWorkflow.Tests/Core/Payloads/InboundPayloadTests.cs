using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Payloads;

/// <summary>
/// Issue 8 defect 1: an inbound <c>avro</c> payload a worker could not decode is refused at the edge with 422
/// <c>validation_failed</c> naming the field, and changes nothing; a decodable one is still accepted.
/// </summary>
public sealed class InboundPayloadTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    /// <summary>The Python SDK's encoding of <c>["order-42"]</c>, as in the spec's examples.</summary>
    private const string FixtureBlob = "wwHioz3/VYAiNwwCChBvcmRlci00MgA=";

    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public static TheoryData<string, string> BadBlobs => new()
    {
        { "not base64", "not base64!!" },
        { "base64 without the Avro marker", Convert.ToBase64String("hello world"u8.ToArray()) },
        { "another schema's fingerprint", Convert.ToBase64String([0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x00]) },
        { "truncated header", Convert.ToBase64String([0xC3, 0x01, 0xE2, 0xA3]) },
        { "datum that is not a Value", Frame(0x1E) },
        { "truncated datum", Frame(0x0C, 0x02, 0x0A, 0x10) },
        { "trailing bytes", Frame(0x00, 0x00) },
    };

    public void Dispose() => server.Dispose();

    [Theory]
    [MemberData(nameof(BadBlobs))]
    public async Task Defect1_a_start_input_blob_a_worker_cannot_decode_is_refused_naming_the_field(string label, string blob)
    {
        using var control = server.ControlClient();
        var before = await CountAsync("workflow_instances");

        using var response = await control.PostAsync("/api/workflows", ServerFactory.Json(new JsonObject
        {
            ["workflow_type"] = "demo",
            ["task_queue"] = "q-payloads",
            ["input"] = new JsonObject { ["codec"] = "avro", ["blob"] = blob },
        }.ToJsonString()));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.True(error["errors"]!["input.blob"] is JsonArray { Count: > 0 }, $"{label}: {error.ToJsonString()}");
        Assert.Equal(before, await CountAsync("workflow_instances"));
    }

    [Fact]
    public async Task Defect1_start_input_must_encode_an_argument_list_and_a_decodable_list_is_accepted()
    {
        using var control = server.ControlClient();

        using var scalar = await control.PostAsync("/api/workflows", ServerFactory.Json(new JsonObject
        {
            ["workflow_type"] = "demo",
            ["task_queue"] = "q-payloads",
            ["input"] = new JsonObject { ["codec"] = "avro", ["blob"] = AvroValueCodec.Encode(JsonValue.Create("solo")) },
        }.ToJsonString()));
        var error = await HttpAssert.ErrorAsync(scalar, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(error["errors"]!["input.blob"]);

        using var accepted = await control.PostAsync("/api/workflows", ServerFactory.Json(new JsonObject
        {
            ["workflow_type"] = "demo",
            ["task_queue"] = "q-payloads",
            ["input"] = new JsonObject { ["codec"] = "avro", ["blob"] = FixtureBlob },
        }.ToJsonString()));
        await HttpAssert.JsonAsync(accepted, HttpStatusCode.Created);
    }

    [Fact]
    public async Task Defect1_signal_and_update_arguments_that_cannot_be_decoded_are_refused_and_change_nothing()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var started = await harness.StartAsync();
        var workflowId = (string)started["workflow_id"]!;
        using var control = server.ControlClient();
        var bad = new JsonObject { ["input"] = new JsonObject { ["codec"] = "avro", ["blob"] = "%%%" } }.ToJsonString();
        var signals = await CountAsync("workflow_signals");
        var updates = await CountAsync("workflow_updates");

        using var signal = await control.PostAsync($"/api/workflows/{workflowId}/signal/go", ServerFactory.Json(bad));
        var signalError = await HttpAssert.ErrorAsync(signal, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(signalError["errors"]!["input.blob"]);

        using var update = await control.PostAsync($"/api/workflows/{workflowId}/update/bump", ServerFactory.Json(bad));
        var updateError = await HttpAssert.ErrorAsync(update, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.NotNull(updateError["errors"]!["input.blob"]);

        Assert.Equal(signals, await CountAsync("workflow_signals"));
        Assert.Equal(updates, await CountAsync("workflow_updates"));
    }

    [Fact]
    public async Task Defect1_worker_command_payloads_that_cannot_be_decoded_are_refused_and_the_task_stays_leased()
    {
        using var harness = await WorkflowHarness.CreateAsync(server);
        var started = await harness.StartAsync();
        var task = await harness.PollAsync();

        var notBase64 = await harness.CompleteAsync(task, HttpStatusCode.UnprocessableEntity,
            new JsonObject { ["type"] = "complete_workflow", ["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = "not base64!!" } });
        Assert.Equal("validation_failed", (string?)notBase64["reason"]);
        Assert.True(((JsonObject)notBase64["errors"]!).Any(e => e.Key.Contains("result", StringComparison.Ordinal)), notBase64.ToJsonString());

        var bareBlob = await harness.CompleteAsync(task, HttpStatusCode.UnprocessableEntity,
            new JsonObject { ["type"] = "schedule_activity", ["activity_type"] = "charge", ["arguments"] = Convert.ToBase64String("plain"u8.ToArray()) });
        Assert.True(((JsonObject)bareBlob["errors"]!).Any(e => e.Key.Contains("arguments", StringComparison.Ordinal)), bareBlob.ToJsonString());

        Assert.Equal("leased", await database.ScalarAsync<string>($"SELECT status FROM workflow_tasks WHERE id = '{task["task_id"]}'"));
        Assert.Equal("running", await database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{started["run_id"]}'"));

        await harness.CompleteAsync(task,
            new JsonObject { ["type"] = "complete_workflow", ["result"] = new JsonObject { ["codec"] = "avro", ["blob"] = FixtureBlob } });
        Assert.Equal("completed", await database.ScalarAsync<string>($"SELECT status FROM workflow_runs WHERE id = '{started["run_id"]}'"));
    }

    private static string Frame(params byte[] datum) =>
        Convert.ToBase64String([0xC3, 0x01, 0xE2, 0xA3, 0x3D, 0xFF, 0x55, 0x80, 0x22, 0x37, .. datum]);

    private Task<long> CountAsync(string table) => database.ScalarAsync<long>($"SELECT count(*) FROM {table}");
}
