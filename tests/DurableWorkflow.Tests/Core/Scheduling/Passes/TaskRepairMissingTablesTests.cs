using DurableWorkflow.Core.Scheduling.Passes;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace DurableWorkflow.Tests.Core.Scheduling.Passes;

/// <summary>A repair pass during a boot or migration window (rollout contract §8.4 step 1, invariant 88).</summary>
public sealed class TaskRepairMissingTablesTests(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task Invariant_088_a_pass_against_a_database_missing_its_tables_returns_an_empty_unthrottled_report()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        var pass = server.Services.GetRequiredService<TaskRepairPass>();

        foreach (var respectThrottle in new[] { true, false })
        {
            var report = await pass.RunPassAsync(new TaskRepairRequest(respectThrottle, ["run-1"]), null, CancellationToken.None);

            Assert.False(report.Throttled);
            Assert.Equal(respectThrottle, report.RespectThrottle);
            Assert.Equal(["run-1"], report.RunIds);
            Assert.Equal(0, report.SelectedTotalCandidates);
            Assert.Equal(0, report.RepairedExistingTasks + report.RepairedMissingTasks + report.DispatchedTasks);
            Assert.False(report.HasFailures);
        }

        // Only some of the tables present (a bootstrap that stopped half way) is the same window.
        await database.ExecuteAsync("CREATE TABLE workflow_tasks (id text PRIMARY KEY)");
        var partial = await pass.RunPassAsync(new TaskRepairRequest(true), null, CancellationToken.None);
        Assert.False(partial.Throttled);
        Assert.Equal(0, partial.SelectedTotalCandidates);
        Assert.Null(await database.ScalarAsync<string>("SELECT to_regclass('workflow_coordination_leases')::text"));
    }
}
