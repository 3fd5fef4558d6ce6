using System.Text.Json;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Workers;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Engine.WorkflowTasks;

/// <summary>
/// What an empty workflow-task claim saw on its queue (<see cref="ClaimLook"/>): a task it may claim that a held run
/// lock made it skip, a task only another worker may claim, or nothing due.
/// </summary>
public sealed class ClaimLookTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Fact]
    public async Task an_empty_queue_shows_nothing_due()
    {
        using var h = await WorkflowHarness.CreateAsync(server);

        var claim = await ClaimAsync(h, ["demo"]);

        Assert.Null(claim.Value);
        Assert.Equal(new ClaimLook(Mine: false, Any: false), claim.Look);
    }

    [Fact]
    public async Task a_task_of_a_type_the_worker_does_not_run_shows_as_due_but_not_its_own()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        await h.StartAsync("demo");

        var claim = await ClaimAsync(h, ["other"]);

        Assert.Null(claim.Value);
        Assert.Equal(new ClaimLook(Mine: false, Any: true), claim.Look);
    }

    [Fact]
    public async Task a_task_the_worker_may_claim_whose_run_another_transaction_holds_shows_as_its_own()
    {
        using var h = await WorkflowHarness.CreateAsync(server);
        var started = await h.StartAsync("demo");
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRun = new NpgsqlCommand("SELECT id FROM workflow_runs WHERE id = $1 FOR UPDATE", holder, hold))
        {
            lockRun.Parameters.Add(new NpgsqlParameter { Value = (string)started["run_id"]! });
            Assert.NotNull(await lockRun.ExecuteScalarAsync());
        }

        var claim = await ClaimAsync(h, ["demo"]);

        Assert.Null(claim.Value);
        Assert.Equal(new ClaimLook(Mine: true, Any: true), claim.Look);
    }

    private async Task<PollClaim<ClaimedWorkflowTask>> ClaimAsync(WorkflowHarness h, IReadOnlyList<string> workflowTypes)
    {
        var services = server.Services;
        await using var tx = await EngineTransaction.BeginAsync(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<WakeBus>(), CancellationToken.None);
        var worker = new WorkerRegistration
        {
            Namespace = "default", WorkerId = h.WorkerId, TaskQueue = h.Queue, Runtime = "python",
            SupportedWorkflowTypes = workflowTypes, SupportedActivityTypes = [],
            WorkflowDefinitionFingerprints = new Dictionary<string, string>(), Capabilities = [],
            WorkflowCommandContracts = JsonDocument.Parse("{}").RootElement, MaxConcurrentWorkflowTasks = 1,
            MaxConcurrentActivityTasks = 1, Status = WorkerStatus.Active, CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        // Never committed: disposing the transaction rolls back whatever the claim wrote.
        return await WorkflowTaskStore.ClaimAsync(tx, "default", worker, leaseSeconds: 60, pinToFingerprint: false,
            reservation: null, historyPageSize: 10, lookWhenEmpty: true, CancellationToken.None);
    }
}
