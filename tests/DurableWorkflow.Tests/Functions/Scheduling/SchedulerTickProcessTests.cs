using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Functions.Scheduling;
using DurableWorkflow.FunctionsHost;
using DurableWorkflow.Tests.Fixtures;
using DurableWorkflow.Tests.Protocol;
using Xunit.Abstractions;

namespace DurableWorkflow.Tests.Functions.Scheduling;

/// <summary>
/// Both hosts of the scheduler tick against one database, as processes: two built Functions workers, each driven by its
/// own stand-in sending the <c>SchedulerTick</c> timer invocation every whole second (what <c>SCHEDULER_CRON</c>
/// "* * * * * *" makes the real host do), beside a standalone server running its in-process scheduler. Each occurrence of
/// a one-second schedule fires exactly once, and a Functions tick whose lease was taken over writes nothing.
/// </summary>
public sealed class SchedulerTickProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string EverySecondCron = "* * * * * *";

    private static readonly (string, string?) CatchUp = ("DW_SCHEDULE_CATCHUP_WINDOW_SECONDS", "30");
    private const string ScheduleId = "every-second-process";

    private readonly BootstrappedDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task two_functions_workers_and_a_server_fire_each_occurrence_once_and_a_deposed_functions_tick_writes_nothing()
    {
        // A tick that runs more than a second late (a loaded CI machine) would otherwise drop the gap's later
        // occurrences by the contract's rule (§9.6); with a catch-up window it replays them, each still exactly once.
        var workers = await Task.WhenAll(
            FunctionsWorker.StartAsync(database.ConnectionString, "functions-a", EverySecondCron, CatchUp),
            FunctionsWorker.StartAsync(database.ConnectionString, "functions-b", EverySecondCron, CatchUp));
        ServerProcess? server = null;
        using var stopTicking = new CancellationTokenSource();
        var loops = new List<Task<List<InvocationRecord>>>();
        try
        {
            await CreateScheduleAsync(workers[0]);

            // Functions worker A becomes the scheduler, then the lease is taken over behind its back.
            var first = await workers[0].InvokeTimerAsync(SchedulerTickFunction.Name);
            await AssertTickLoggedAsync(workers[0], first, SchedulerTickStatus.Ran);
            await database.ExecuteAsync(
                "UPDATE scheduler_leases SET owner = 'test-takeover', token = token + 1, expires_at = now() + interval '1 minute'");
            await HttpAssert.EventuallyAsync(async () => (await database.ScalarAsync<bool>(
                $"SELECT next_fire_at <= now() FROM workflow_schedules WHERE schedule_id = '{ScheduleId}'"), "schedule not yet due"), TimeSpan.FromSeconds(5));
            var before = await SnapshotAsync();
            var deposed = new List<InvocationRecord>();
            foreach (var worker in workers)
            {
                deposed.Add(await worker.InvokeTimerAsync(SchedulerTickFunction.Name));
            }

            Assert.Equal(before, await SnapshotAsync());
            for (var i = 0; i < workers.Length; i++)
            {
                await AssertTickLoggedAsync(workers[i], deposed[i], SchedulerTickStatus.LeaseHeld);
            }

            // The lease is free again: both Functions timers tick every second, and one of the two workers takes it.
            await database.ExecuteAsync("UPDATE scheduler_leases SET expires_at = now()");
            loops.AddRange(workers.Select(w => TickEverySecondAsync(w, stopTicking.Token)));
            await HttpAssert.EventuallyAsync(async () =>
            {
                var owner = await LeaseOwnerAsync();
                return (owner.StartsWith("functions-", StringComparison.Ordinal), owner);
            }, TimeSpan.FromSeconds(10));
            var functionsOwner = await LeaseOwnerAsync();

            server = await ServerProcess.StartAsync(database.ConnectionString, "sched-server",
                ("DW_SCHEDULER_ENABLED", "true"), ("DW_SCHEDULER_INTERVAL_SECONDS", "1"), CatchUp);

            // The window: whole seconds from two seconds after all three tick (the catch-up fire of the stale occurrence
            // lies before it) until one second before the check.
            var windowStart = await ScheduleFires.DatabaseNowAsync(database) + TimeSpan.FromSeconds(2);
            await Task.Delay(TimeSpan.FromSeconds(17));
            var windowEnd = await ScheduleFires.DatabaseNowAsync(database) - TimeSpan.FromSeconds(1);

            // The Functions worker kept the lease throughout; the server ticked beside it without firing.
            Assert.Equal(functionsOwner, await LeaseOwnerAsync());

            // Once the Functions timers stop, the server's in-process tick takes the lease over with the next token.
            var tokenBefore = await database.ScalarAsync<long>("SELECT token FROM scheduler_leases WHERE name = 'scheduler'");
            await stopTicking.CancelAsync();
            var ticks = await Task.WhenAll(loops);
            loops.Clear();
            await HttpAssert.EventuallyAsync(async () =>
            {
                var owner = await LeaseOwnerAsync();
                return (owner.StartsWith("sched-server/", StringComparison.Ordinal), owner);
            }, TimeSpan.FromSeconds(15));
            Assert.Equal(tokenBefore + 1, await database.ScalarAsync<long>("SELECT token FROM scheduler_leases WHERE name = 'scheduler'"));
            await server.DisposeAsync();
            server = null;

            // Every timer invocation succeeded; the lease holder's ticks all ran, the other worker's all stood aside.
            var holder = functionsOwner.StartsWith("functions-a/", StringComparison.Ordinal) ? 0 : 1;
            for (var i = 0; i < workers.Length; i++)
            {
                var statuses = await TickStatusesAsync(workers[i], ticks[i]);
                output.WriteLine($"worker {i}: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}");
                Assert.True(ticks[i].Count >= 17, $"worker {i}: only {ticks[i].Count} timer invocations");
                Assert.All(statuses, s => Assert.Equal(i == holder ? SchedulerTickStatus.Ran : SchedulerTickStatus.LeaseHeld, s));
            }

            var perOccurrence = await ScheduleFires.PerOccurrenceAsync(database, ScheduleId);
            Assert.All(perOccurrence, o => Assert.True(o.Value == 1, $"occurrence {o.Key:O} has {o.Value} fire records"));
            var missing = new List<string>();
            for (var second = ScheduleFires.WholeSecondCeiling(windowStart); second <= windowEnd; second = second.AddSeconds(1))
            {
                if (!perOccurrence.ContainsKey(second))
                {
                    missing.Add(second.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
                }
            }

            output.WriteLine($"window {windowStart:HH:mm:ss.fff}–{windowEnd:HH:mm:ss.fff}: {perOccurrence.Count(o => o.Key >= windowStart && o.Key <= windowEnd)} occurrences in it, {perOccurrence.Count} fired in all");
            Assert.True(missing.Count == 0, $"occurrences never fired: {string.Join(", ", missing)} (window {windowStart:HH:mm:ss.fff}–{windowEnd:HH:mm:ss.fff})");
            Assert.InRange((windowEnd - windowStart).TotalSeconds, 13, 30);
            Assert.Equal(
                await database.ScalarAsync<long>($"SELECT count(*) FROM workflow_schedule_history WHERE schedule_id = '{ScheduleId}' AND event_type = 'ScheduleTriggered'"),
                await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE workflow_type = 'tests.every-second-process'"));
        }
        finally
        {
            await stopTicking.CancelAsync();
            await Task.WhenAll(loops);
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    /// <summary>The host's timer for <c>* * * * * *</c>: one invocation per whole second, never two at once for one host.</summary>
    private static async Task<List<InvocationRecord>> TickEverySecondAsync(FunctionsHostStandIn host, CancellationToken stop)
    {
        var records = new List<InvocationRecord>();
        while (!stop.IsCancellationRequested)
        {
            // A few milliseconds past the boundary, so a timer that wakes a hair early still finds the occurrence due.
            var now = DateTime.UtcNow;
            var next = TimeSpan.FromTicks(TimeSpan.TicksPerSecond - (now.Ticks % TimeSpan.TicksPerSecond)) + TimeSpan.FromMilliseconds(20);
            if (!await DelayAsync(next, stop))
            {
                break;
            }

            records.Add(await host.InvokeTimerAsync(SchedulerTickFunction.Name, cancellationToken: CancellationToken.None));
        }

        return records;
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        var delayed = Task.Delay(delay, stop);
        await Task.WhenAny(delayed);
        return delayed.IsCompletedSuccessfully;
    }

    private static async Task CreateScheduleAsync(FunctionsHostStandIn host)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFactory.AdminToken);
        client.DefaultRequestHeaders.Add(HeaderNames.ControlPlaneVersion, "2");
        var body = $$"""
            {"schedule_id":"{{ScheduleId}}","spec":{"intervals":[{"every":"PT1S"}]},
             "action":{"workflow_type":"tests.every-second-process","task_queue":"every-second"},"overlap_policy":"allow_all"}
            """;
        using var response = await client.PostAsync(
            new Uri(host.BaseAddress, host.RoutePrefix + "/schedules"), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task AssertTickLoggedAsync(FunctionsHostStandIn host, InvocationRecord invocation, SchedulerTickStatus status)
    {
        Assert.True(invocation.Succeeded, invocation.Response.Result.Exception?.Message);
        await HttpAssert.EventuallyAsync(() =>
        {
            var lines = host.Logs.Where(l => l.InvocationId == invocation.InvocationId).Select(l => l.Message).ToList();
            return Task.FromResult((lines.Any(l => l.StartsWith($"Scheduler tick {status}:", StringComparison.Ordinal)), string.Join(" | ", lines)));
        }, TimeSpan.FromSeconds(10));
    }

    /// <summary>The tick status each invocation logged (the worker streams its logs after the invocation answers).</summary>
    private static async Task<List<SchedulerTickStatus>> TickStatusesAsync(FunctionsHostStandIn host, IReadOnlyList<InvocationRecord> invocations)
    {
        var statuses = new List<SchedulerTickStatus>();
        await HttpAssert.EventuallyAsync(() =>
        {
            statuses.Clear();
            foreach (var invocation in invocations)
            {
                Assert.True(invocation.Succeeded, invocation.Response.Result.Exception?.Message);
                var line = host.Logs.FirstOrDefault(l => l.InvocationId == invocation.InvocationId && l.Message.StartsWith("Scheduler tick ", StringComparison.Ordinal));
                if (line is null)
                {
                    return Task.FromResult((false, $"invocation {invocation.InvocationId} logged no tick"));
                }

                statuses.Add(Enum.Parse<SchedulerTickStatus>(line.Message["Scheduler tick ".Length..line.Message.IndexOf(':', StringComparison.Ordinal)]));
            }

            return Task.FromResult((true, string.Empty));
        }, TimeSpan.FromSeconds(10));
        return statuses;
    }

    private async Task<string> LeaseOwnerAsync() =>
        await database.ScalarAsync<string>("SELECT owner FROM scheduler_leases WHERE name = 'scheduler'") ?? "(no lease)";

    /// <summary>What a tick could write: the schedule row, its history and the runs it starts.</summary>
    private async Task<string> SnapshotAsync() =>
        await database.ScalarAsync<string>(
            $"""
            SELECT concat_ws(' | ',
                (SELECT row_to_json(s)::text FROM workflow_schedules s WHERE schedule_id = '{ScheduleId}'),
                (SELECT count(*) FROM workflow_schedule_history WHERE schedule_id = '{ScheduleId}'),
                (SELECT count(*) FROM workflow_runs),
                (SELECT count(*) FROM workflow_tasks))
            """) ?? string.Empty;
}
