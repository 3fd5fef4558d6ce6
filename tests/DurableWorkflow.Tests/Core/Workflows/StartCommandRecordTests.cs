using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Core.Workflows;

/// <summary>
/// The start's command record (control-plane spec §4.6.1), written by the statement that claims the workflow id: an
/// accepted start has exactly one accepted record with its run, a duplicate adds only its rejection.
/// </summary>
public sealed class StartCommandRecordTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task An_accepted_start_records_one_command_and_a_duplicate_records_only_its_rejection()
    {
        using var fleet = new FleetClient(server);
        var queue = FleetClient.NewQueue();
        var started = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_id"] = "start-record" });
        var runId = (string?)started["run_id"];

        Assert.Equal($"start|accepted|started_new|1|{runId}|true", await database.ScalarAsync<string>(
            """
            SELECT command_type || '|' || status || '|' || outcome || '|' || command_sequence || '|' || run_id || '|' || (applied_at IS NOT NULL)
              FROM workflow_commands WHERE workflow_instance_id = 'start-record'
            """));
        Assert.Equal(runId, await database.ScalarAsync<string>(
            "SELECT response ->> 'run_id' FROM workflow_commands WHERE workflow_instance_id = 'start-record' AND status = 'accepted'"));
        Assert.Equal("started_new", await database.ScalarAsync<string>(
            "SELECT response ->> 'outcome' FROM workflow_commands WHERE workflow_instance_id = 'start-record' AND status = 'accepted'"));

        var duplicate = await fleet.StartAsync(queue, extra: new JsonObject { ["workflow_id"] = "start-record" }, expected: HttpStatusCode.Conflict);

        Assert.Equal("rejected_duplicate", (string?)duplicate["outcome"]);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE workflow_instance_id = 'start-record'"));
        Assert.Equal("accepted|1,rejected|", await database.ScalarAsync<string>(
            """
            SELECT string_agg(status || '|' || COALESCE(command_sequence::text, ''), ',' ORDER BY status)
              FROM workflow_commands WHERE workflow_instance_id = 'start-record'
            """));
    }
}
