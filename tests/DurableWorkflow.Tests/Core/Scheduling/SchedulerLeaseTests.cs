using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Core.Scheduling.Schedules;
using DurableWorkflow.Tests.Core.Scheduling.Schedules;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DurableWorkflow.Tests.Core.Scheduling;

/// <summary>The scheduler lease and its fencing token: one scheduler at a time, and a deposed one writes nothing.</summary>
public sealed class SchedulerLeaseTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    private SchedulerLease Lease(string serverId)
    {
        var dataSource = server.Services.GetRequiredService<NpgsqlDataSource>();
        var settings = server.Services.GetRequiredService<ServerSettings>() with { ServerId = serverId };
        return new SchedulerLease(dataSource, settings);
    }

    [Fact]
    public async Task a_live_lease_excludes_other_owners_and_renewal_keeps_the_token()
    {
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        var a = Lease("node-a");
        var b = Lease("node-b");

        var first = await a.TryAcquireAsync(CancellationToken.None);
        var refused = await b.TryAcquireAsync(CancellationToken.None);
        var renewed = await a.TryAcquireAsync(CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(refused);
        Assert.Equal(first, renewed);
    }

    [Fact]
    public async Task a_takeover_after_expiry_increments_the_token_and_fences_the_previous_holder()
    {
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        var a = Lease("node-a");
        var b = Lease("node-b");
        var old = (await a.TryAcquireAsync(CancellationToken.None))!;

        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() - interval '1 second'");
        var taken = await b.TryAcquireAsync(CancellationToken.None);

        Assert.NotNull(taken);
        Assert.Equal(old.Token + 1, taken.Token);
        Assert.Null(await a.TryAcquireAsync(CancellationToken.None));
    }

    [Fact]
    public async Task a_tick_whose_lease_was_taken_over_writes_nothing()
    {
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("fenced");
        await h.MakeDueAsync("fenced");
        var deposed = (await Lease("node-old").TryAcquireAsync(CancellationToken.None))!;
        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() - interval '1 second'");
        Assert.NotNull(await Lease("node-new").TryAcquireAsync(CancellationToken.None));
        var before = await SnapshotAsync();

        var pass = server.Services.GetRequiredService<SchedulePass>();
        await Assert.ThrowsAsync<SchedulerLeaseLostException>(() => pass.RunAsync(deposed, CancellationToken.None));

        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(0, await h.RunCountAsync("fenced"));
    }

    [Fact]
    public async Task an_expired_holder_that_was_not_yet_replaced_writes_nothing_either()
    {
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("stalled");
        await h.MakeDueAsync("stalled");
        var stalled = (await Lease("node-stalled").TryAcquireAsync(CancellationToken.None))!;
        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() - interval '1 second'");

        var pass = server.Services.GetRequiredService<SchedulePass>();
        await Assert.ThrowsAsync<SchedulerLeaseLostException>(() => pass.RunAsync(stalled, CancellationToken.None));

        Assert.Equal(0, await h.RunCountAsync("stalled"));
    }

    [Fact]
    public async Task the_tick_reports_a_lease_held_elsewhere_and_runs_no_pass()
    {
        await database.ExecuteAsync("DELETE FROM scheduler_leases");
        Assert.NotNull(await Lease("node-elsewhere").TryAcquireAsync(CancellationToken.None));
        using var enabled = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_SCHEDULER_ENABLED", "true"), ("DW_SCHEDULER_LEASE_SECONDS", "600"));
        await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now() + interval '10 minutes'");

        var outcome = await enabled.Services.GetRequiredService<SchedulerTickRunner>().RunAsync(false, CancellationToken.None);

        Assert.Equal(SchedulerTickStatus.LeaseHeld, outcome.Status);
        Assert.DoesNotContain(outcome.Logs, l => l.StartsWith("schedules:", StringComparison.Ordinal));
    }

    private Task<string?> SnapshotAsync() => database.ScalarAsync<string>(
        """
        SELECT concat_ws(' | ',
            (SELECT string_agg(schedule_id || ':' || coalesce(next_fire_at::text, '-') || ':' || fires_count || ':' || updated_at::text, ',' ORDER BY id) FROM workflow_schedules),
            (SELECT count(*)::text FROM workflow_schedule_history),
            (SELECT count(*)::text FROM workflow_runs))
        """);
}
