using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>
/// The probe loops' look at a queue: "due now" comes from the first claimable task, the minimum only from tasks not
/// yet due and from leases; a ready task of a closed run never counts. Each test uses its own queue.
/// </summary>
public sealed class ExpiredLeasesTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task a_backlog_of_due_tasks_is_due_now()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        for (var i = 0; i < 3; i++)
        {
            await h.StartAsync();
        }

        var next = await NextAsync(h.Queue);

        Assert.NotNull(next);
        Assert.True(next <= TimeSpan.Zero, $"next {next}");
    }

    [Fact]
    public async Task with_nothing_due_the_earliest_future_task_is_the_answer()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync();
        await h.StartAsync();
        await database.ExecuteAsync(
            $"""
            UPDATE workflow_tasks SET available_at = now() + CASE WHEN id = (SELECT min(id) FROM workflow_tasks WHERE task_queue = '{h.Queue}')
                                                                  THEN interval '40 seconds' ELSE interval '90 seconds' END
             WHERE task_queue = '{h.Queue}' AND status = 'ready'
            """);

        var next = await NextAsync(h.Queue);

        Assert.NotNull(next);
        Assert.InRange(next.Value.TotalSeconds, 30, 40);
    }

    [Fact]
    public async Task a_lease_running_out_before_the_next_ready_task_comes_first()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync();
        await h.StartAsync();
        await h.PollAsync();
        await database.ExecuteAsync(
            $"""
            UPDATE workflow_tasks SET lease_expires_at = now() + interval '20 seconds' WHERE task_queue = '{h.Queue}' AND status = 'leased';
            UPDATE workflow_tasks SET available_at = now() + interval '90 seconds' WHERE task_queue = '{h.Queue}' AND status = 'ready';
            """);

        var next = await NextAsync(h.Queue);

        Assert.NotNull(next);
        Assert.InRange(next.Value.TotalSeconds, 10, 20);
    }

    [Fact]
    public async Task a_ready_task_of_a_closed_run_is_not_work()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync();
        await database.ExecuteAsync($"UPDATE workflow_runs SET status = 'terminated' WHERE id = '{started["run_id"]}'");

        Assert.Null(await NextAsync(h.Queue));

        await database.ExecuteAsync($"UPDATE workflow_tasks SET available_at = now() + interval '1 hour' WHERE run_id = '{started["run_id"]}'");

        Assert.Null(await NextAsync(h.Queue));
    }

    private async Task<TimeSpan?> NextAsync(string queue)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        return await ExpiredLeases.NextAvailableOnQueueAsync(dataSource, "default", "workflow", queue, CancellationToken.None);
    }
}
