using System.Net;
using System.Text.Json.Nodes;
using DurableWorkflow.Tests.Core.Scheduling.Schedules;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>The schedule routes (control-plane spec §9) and parity with the shared schedule-*.json fixtures.</summary>
public sealed class ScheduleRouteTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>, IDisposable
{
    private readonly ServerFactory server = ServerFactory.WithRoleTokens(database.ConnectionString);

    public void Dispose() => server.Dispose();

    [Theory]
    [InlineData("""{"schedule_id":"bad1","spec":{},"action":{"workflow_type":"t"}}""", "spec")]
    [InlineData("""{"schedule_id":"bad2","action":{"workflow_type":"t"}}""", "spec")]
    [InlineData("""{"schedule_id":"bad3","spec":{"cron_expressions":["not a cron"]},"action":{"workflow_type":"t"}}""", "spec.cron_expressions.0")]
    [InlineData("""{"schedule_id":"bad4","spec":{"cron_expressions":["0 6 * * *"],"timezone":"Nowhere/Atlantis"},"action":{"workflow_type":"t"}}""", "spec.timezone")]
    [InlineData("""{"schedule_id":"bad5","spec":{"intervals":[{"every":"PT1H"}]},"action":{"workflow_type":"t"},"jitter_seconds":-1}""", "jitter_seconds")]
    [InlineData("""{"schedule_id":"bad6","spec":{"intervals":[{"every":"PT1H"}]},"action":{"workflow_type":"t"},"overlap_policy":"sometimes"}""", "overlap_policy")]
    [InlineData("""{"schedule_id":"bad7","spec":{"intervals":[{"every":"PT1H"}]},"action":{}}""", "action.workflow_type")]
    [InlineData("""{"schedule_id":"bad8","spec":{"intervals":[{"every":"PT1H"}]},"action":{"workflow_type":"t"},"max_runs":0}""", "max_runs")]
    [InlineData("""{"schedule_id":"bad9","spec":"daily","action":{"workflow_type":"t"}}""", "spec")]
    public async Task a_bad_spec_is_a_422_naming_the_field_and_creates_nothing(string body, string field)
    {
        using var control = server.ControlClient();
        using var response = await control.PostAsync("/api/schedules", ServerFactory.Json(body));

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.True(error["errors"]!.AsObject().ContainsKey(field), error.ToJsonString());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM workflow_schedules WHERE schedule_id LIKE 'bad%'"));
    }

    [Fact]
    public async Task create_describe_update_pause_resume_trigger_delete_match_the_fixtures()
    {
        using var control = server.ControlClient();
        var create = SharedFixtures.ControlPlane("schedule-create-parity");
        var created = await SendAsync(control, create, HttpStatusCode.Created);
        AssertSemantic(create, created, "namespace");

        var describe = SharedFixtures.ControlPlane("schedule-describe-parity");
        var described = await SendAsync(control, describe, HttpStatusCode.OK, ("daily-order-rollup", "daily-inventory-check"));
        AssertKeys(describe, described);
        Assert.Equal("paused", (string?)described["status"]);
        Assert.Equal(30, (int)described["remaining_actions"]!);

        var update = SharedFixtures.ControlPlane("schedule-update-parity");
        var updated = await SendAsync(control, update, HttpStatusCode.OK);
        AssertSemantic(update, updated, "namespace");

        var resume = SharedFixtures.ControlPlane("schedule-resume-parity");
        var resumed = await SendAsync(control, resume, HttpStatusCode.OK, ("daily-order-rollup", "daily-inventory-check"));
        AssertSemantic(resume, resumed, "namespace", "schedule_id");

        var pause = SharedFixtures.ControlPlane("schedule-pause-parity");
        var paused = await SendAsync(control, pause, HttpStatusCode.OK, ("daily-order-rollup", "daily-inventory-check"));
        AssertSemantic(pause, paused, "namespace", "schedule_id");
        await SendAsync(control, resume, HttpStatusCode.OK, ("daily-order-rollup", "daily-inventory-check"));

        var trigger = SharedFixtures.ControlPlane("schedule-trigger-parity");
        var triggered = await SendAsync(control, trigger, HttpStatusCode.OK);
        Assert.Equal("triggered", (string?)triggered["outcome"]);
        AssertKeys(trigger, triggered);

        var list = SharedFixtures.ControlPlane("schedule-list-parity");
        var listed = await SendAsync(control, list, HttpStatusCode.OK);
        Assert.Contains(listed["schedules"]!.AsArray(), s => (string?)s!["schedule_id"] == "daily-inventory-check");
        foreach (var key in list.Json["response_body"]!["schedules"]![0]!.AsObject().Select(p => p.Key))
        {
            Assert.True(listed["schedules"]![0]!.AsObject().ContainsKey(key), key);
        }

        var history = SharedFixtures.ControlPlane("schedule-history-parity");
        using (var response = await control.GetAsync("/api/schedules/daily-inventory-check/history?limit=3&after_sequence=1"))
        {
            var page = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
            foreach (var key in history.Json["response_body"]!.AsObject().Select(p => p.Key))
            {
                Assert.True(page.ContainsKey(key), key);
            }

            Assert.Equal([2L, 3L, 4L], page["events"]!.AsArray().Select(e => (long)e!["sequence"]!));
            Assert.True((bool)page["has_more"]!);
            Assert.Equal(4L, (long)page["next_cursor"]!);
        }

        var delete = SharedFixtures.ControlPlane("schedule-delete-parity");
        var deleted = await SendAsync(control, delete, HttpStatusCode.OK, ("inventory-refresh", "daily-inventory-check"));
        AssertKeys(delete, deleted);
        using var gone = await control.GetAsync("/api/schedules/daily-inventory-check");
        await HttpAssert.ErrorAsync(gone, HttpStatusCode.NotFound, "schedule_not_found");
        using var kept = await control.GetAsync("/api/schedules/daily-inventory-check/history");
        var events = (await HttpAssert.JsonAsync(kept, HttpStatusCode.OK))["events"]!.AsArray();
        Assert.Equal("ScheduleDeleted", (string?)events[^1]!["event_type"]);
    }

    [Fact]
    public async Task backfill_fires_each_occurrence_in_the_range_as_allow_all()
    {
        using var control = server.ControlClient();
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("backfill-check", overlap: "buffer_all", spec: """{"intervals":[{"every":"PT30M"}]}""");
        var fixture = SharedFixtures.ControlPlane("schedule-backfill-parity");

        var body = await SendAsync(control, fixture, HttpStatusCode.OK, ("daily-inventory-check", "backfill-check"));

        Assert.Equal(6, (int)body["fires_attempted"]!);
        Assert.All(body["results"]!.AsArray(), r => Assert.Equal("started", (string?)r!["outcome"]));
        Assert.Equal("2026-04-20T00:00:00+00:00", (string?)body["results"]![0]!["fire_time"]);
        AssertKeys(fixture, body, "outcome");
        Assert.Equal(6, await h.RunCountAsync("backfill-check"));

        using var reversed = await control.PostAsync("/api/schedules/backfill-check/backfill",
            ServerFactory.Json("""{"start_time":"2026-04-20T03:00:00Z","end_time":"2026-04-20T00:00:00Z"}"""));
        await HttpAssert.ErrorAsync(reversed, HttpStatusCode.UnprocessableEntity, "invalid_time_range");
    }

    [Fact]
    public async Task duplicate_ids_conflict_and_unknown_ids_are_404()
    {
        using var h = new ScheduleHarness(server, database);
        await h.CreateAsync("dup");
        using var control = server.ControlClient();

        using var again = await control.PostAsync("/api/schedules",
            ServerFactory.Json("""{"schedule_id":"dup","spec":{"intervals":[{"every":"PT1H"}]},"action":{"workflow_type":"t"}}"""));
        await HttpAssert.ErrorAsync(again, HttpStatusCode.Conflict, "schedule_already_exists");
        foreach (var path in new[] { "pause", "resume", "trigger" })
        {
            using var missing = await control.PostAsync($"/api/schedules/nope/{path}", ServerFactory.Json("{}"));
            await HttpAssert.ErrorAsync(missing, HttpStatusCode.NotFound, "schedule_not_found");
        }

        using var badCursor = await control.GetAsync("/api/schedules/dup/history?after_sequence=-2");
        await HttpAssert.ErrorAsync(badCursor, HttpStatusCode.UnprocessableEntity, "invalid_after_sequence");
    }

    [Fact]
    public async Task list_filters_and_pages_newest_first_with_an_opaque_token()
    {
        using var control = server.ControlClient();
        var prefix = $"pg{Guid.NewGuid():N}"[..12];
        for (var i = 0; i < 5; i++)
        {
            var body = new JsonObject
            {
                ["schedule_id"] = $"{prefix}-{i}",
                ["spec"] = new JsonObject { ["intervals"] = new JsonArray(new JsonObject { ["every"] = "PT1H" }) },
                ["action"] = new JsonObject { ["workflow_type"] = i % 2 == 0 ? $"{prefix}.even" : $"{prefix}.odd" },
            };
            using var created = await control.PostAsync("/api/schedules", ServerFactory.Json(body.ToJsonString()));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var pause = await control.PostAsync($"/api/schedules/{prefix}-3/pause", ServerFactory.Json("{}")))
        {
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await GetAsync(control, $"/api/schedules?query={prefix}&page_size=2" + (token is null ? string.Empty : $"&next_page_token={token}"));
            seen.AddRange(page["schedules"]!.AsArray().Select(s => (string)s!["schedule_id"]!));
            token = (string?)page["next_page_token"];
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => $"{prefix}-{i}"), seen);

        var even = await GetAsync(control, $"/api/schedules?workflow_type={prefix}.even");
        Assert.Equal([$"{prefix}-4", $"{prefix}-2", $"{prefix}-0"], even["schedules"]!.AsArray().Select(s => (string)s!["schedule_id"]!));
        Assert.Null(even["next_page_token"]);
        var paused = await GetAsync(control, $"/api/schedules?status=paused&query={prefix}");
        Assert.Equal([$"{prefix}-3"], paused["schedules"]!.AsArray().Select(s => (string)s!["schedule_id"]!));

        foreach (var (query, field) in new[] { ("page_size=0", "page_size"), ("page_size=201", "page_size"), ("status=deleted", "status"), ("next_page_token=%25%25", "next_page_token") })
        {
            using var bad = await control.GetAsync($"/api/schedules?{query}");
            var error = await HttpAssert.ErrorAsync(bad, HttpStatusCode.UnprocessableEntity, "validation_failed");
            Assert.True(error["errors"]!.AsObject().ContainsKey(field), error.ToJsonString());
        }
    }

    private static async Task<JsonObject> GetAsync(HttpClient control, string path)
    {
        using var response = await control.GetAsync(path);
        return await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
    }

    private static async Task<JsonObject> SendAsync(HttpClient control, ControlPlaneFixture fixture, HttpStatusCode expected, (string From, string To)? rename = null)
    {
        using var request = fixture.ToRequest();
        if (rename is { } r)
        {
            request.RequestUri = new Uri(fixture.Path.Replace(r.From, r.To, StringComparison.Ordinal), UriKind.Relative);
        }

        using var response = await control.SendAsync(request);
        return await HttpAssert.JsonAsync(response, expected);
    }

    /// <summary>Every semantic key is present; values must match except the ones that depend on this server's state.</summary>
    private static void AssertSemantic(ControlPlaneFixture fixture, JsonObject body, params string[] stateful)
    {
        foreach (var (key, value) in fixture.Semantic)
        {
            Assert.True(body.ContainsKey(key), $"missing {key}: {body.ToJsonString()}");
            if (!stateful.Contains(key))
            {
                Assert.True(JsonNode.DeepEquals(value, body[key]), $"{key}: expected {value?.ToJsonString()}, got {body[key]?.ToJsonString()}");
            }
        }
    }

    private static void AssertKeys(ControlPlaneFixture fixture, JsonObject body, params string[] except)
    {
        foreach (var key in fixture.Semantic.Select(p => p.Key).Concat(fixture.Json["response_body"]!.AsObject().Select(p => p.Key)).Except(except))
        {
            Assert.True(body.ContainsKey(key), $"missing {key}: {body.ToJsonString()}");
        }
    }
}
