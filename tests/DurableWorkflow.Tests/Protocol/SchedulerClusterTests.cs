using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DurableWorkflow.Core.Scheduling.Schedules;
using DurableWorkflow.Tests.Fixtures;
using Npgsql;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>
/// Several real server processes all run the in-process scheduler against one database: every occurrence of a
/// one-second schedule fires exactly once, and after every scheduler was stopped the one started next catches up
/// per §9.6 (one fire for the stale occurrence, then onward from now) and <c>schedules.missed</c> returns to 0.
/// </summary>
public sealed class SchedulerClusterTests : IAsyncLifetime
{
    private readonly BootstrappedDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task three_schedulers_fire_each_occurrence_once_and_a_restarted_one_catches_up()
    {
        var nodes = new List<ServerProcess>();
        try
        {
            // A tick more than a second late (a loaded CI machine) would drop the gap's later occurrences by the
            // contract's rule (§9.6); the catch-up window replays them, each still exactly once. The restarted node
            // below keeps the rule, which is what its part checks.
            foreach (var name in new[] { "sched-a", "sched-b", "sched-c" })
            {
                nodes.Add(await ServerProcess.StartAsync(database.ConnectionString, name,
                    ("DW_SCHEDULER_ENABLED", "true"), ("DW_SCHEDULER_INTERVAL_SECONDS", "1"), ("DW_SCHEDULE_CATCHUP_WINDOW_SECONDS", "30")));
            }

            using (var client = Client(nodes[1]))
            {
                await CreateAsync(client, "every-second-allow", "allow_all");
                await CreateAsync(client, "every-second-skip", "skip");
            }

            // The window: every whole second from four seconds after creation (the first fires pay for JIT) until two
            // seconds before the check.
            var windowStart = await ScheduleFires.DatabaseNowAsync(database) + TimeSpan.FromSeconds(4);
            await Task.Delay(TimeSpan.FromSeconds(20));
            var windowEnd = await ScheduleFires.DatabaseNowAsync(database) - TimeSpan.FromSeconds(2);

            foreach (var scheduleId in new[] { "every-second-allow", "every-second-skip" })
            {
                var perOccurrence = await ScheduleFires.PerOccurrenceAsync(database, scheduleId);
                Assert.All(perOccurrence, o => Assert.True(o.Value == 1, $"{scheduleId}: occurrence {o.Key:O} has {o.Value} fire records"));
                var missing = new List<string>();
                for (var second = ScheduleFires.WholeSecondCeiling(windowStart); second <= windowEnd; second = second.AddSeconds(1))
                {
                    if (!perOccurrence.ContainsKey(second))
                    {
                        missing.Add(second.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                Assert.True(missing.Count == 0, $"{scheduleId}: occurrences never fired: {string.Join(", ", missing)} (window {windowStart:HH:mm:ss.fff}–{windowEnd:HH:mm:ss.fff})");
            }

            Assert.Equal(await database.ScalarAsync<long>(
                    "SELECT count(*) FROM workflow_schedule_history WHERE schedule_id = 'every-second-allow' AND event_type = 'ScheduleTriggered'"),
                await database.ScalarAsync<long>("SELECT count(*) FROM workflow_runs WHERE workflow_type = 'tests.every-second'") - 1);

            // Every scheduler stops; firing pauses while durable state waits.
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            nodes.Clear();
            var stoppedAt = await ScheduleFires.DatabaseNowAsync(database);
            await Task.Delay(TimeSpan.FromSeconds(10));
            var overdue = await MetricsAsync();
            Assert.Equal(2, overdue.Missed);
            Assert.InRange(overdue.MaxOverdueMs, 7_000, 15_000);
            var stale = await database.ScalarAsync<DateTime>("SELECT next_fire_at FROM workflow_schedules WHERE schedule_id = 'every-second-allow'");
            var before = await ScheduleFires.PerOccurrenceAsync(database, "every-second-allow");

            nodes.Add(await ServerProcess.StartAsync(database.ConnectionString, "sched-d",
                ("DW_SCHEDULER_ENABLED", "true"), ("DW_SCHEDULER_INTERVAL_SECONDS", "1")));
            await HttpAssert.EventuallyAsync(async () =>
            {
                var m = await MetricsAsync();
                return (m.Missed == 0 && m.OldestOverdueAt is null && m.MaxOverdueMs == 0, $"missed {m.Missed}");
            }, TimeSpan.FromSeconds(20));

            var after = await ScheduleFires.PerOccurrenceAsync(database, "every-second-allow");
            var resumedWith = after.Keys.Where(k => !before.ContainsKey(k)).Order().First();
            Assert.Equal(stale, resumedWith.UtcDateTime);
            // The occurrences of the gap after the stale one are dropped, not replayed (§9.6).
            Assert.DoesNotContain(after.Keys, k => k > resumedWith && k < stoppedAt.AddSeconds(9));
            Assert.All(after, o => Assert.Equal(1, o.Value));
            var skipAfter = await ScheduleFires.PerOccurrenceAsync(database, "every-second-skip");
            Assert.All(skipAfter, o => Assert.Equal(1, o.Value));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static HttpClient Client(ServerProcess node)
    {
        var client = new HttpClient { BaseAddress = node.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.Token);
        client.DefaultRequestHeaders.Add("X-Durable-Workflow-Control-Plane-Version", "2");
        return client;
    }

    private static async Task CreateAsync(HttpClient client, string scheduleId, string overlap)
    {
        var body = $$"""
            {"schedule_id":"{{scheduleId}}","spec":{"intervals":[{"every":"PT1S"}]},
             "action":{"workflow_type":"tests.every-second","task_queue":"every-second"},"overlap_policy":"{{overlap}}"}
            """;
        using var response = await client.PostAsync("/api/schedules", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<ScheduleMetricsSnapshot> MetricsAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        return await new ScheduleMetrics(dataSource).ReadAsync("default", CancellationToken.None);
    }
}
