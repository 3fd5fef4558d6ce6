using System.Text.Json;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Scheduling.Schedules;

namespace DurableWorkflow.Tests.Core.Scheduling.Schedules;

/// <summary>Next-fire computation (rollout contract §9.5): cron in IANA zones across DST, and epoch-anchored intervals.</summary>
public sealed class ScheduleSpecTests
{
    private static ScheduleSpec Spec(string json)
    {
        using var document = JsonDocument.Parse(json);
        var v = new RequestValidator(null);
        var spec = ScheduleSpec.Parse(document.RootElement.Clone(), v, required: true);
        Assert.True(v.IsValid);
        return spec!;
    }

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void cron_is_evaluated_in_the_schedule_time_zone()
    {
        var spec = Spec("""{"cron_expressions":["0 9 * * *"],"timezone":"America/New_York"}""");

        Assert.Equal(Utc("2026-01-15T14:00:00Z"), spec.NextAfter(Utc("2026-01-15T00:00:00Z")));
        Assert.Equal(Utc("2026-07-15T13:00:00Z"), spec.NextAfter(Utc("2026-07-15T00:00:00Z")));
    }

    [Fact]
    public void a_time_in_the_spring_forward_gap_fires_once_at_the_end_of_the_gap()
    {
        // Europe/Berlin skips 02:00–03:00 local on 2026-03-29.
        var spec = Spec("""{"cron_expressions":["30 2 * * *"],"timezone":"Europe/Berlin"}""");

        var next = spec.NextAfter(Utc("2026-03-28T12:00:00Z"))!.Value;
        var after = spec.NextAfter(next)!.Value;

        Assert.Equal(Utc("2026-03-29T01:00:00Z"), next);
        Assert.Equal(Utc("2026-03-30T00:30:00Z"), after);
    }

    [Fact]
    public void a_time_in_the_fall_back_repeat_fires_once()
    {
        // Europe/Berlin repeats 02:00–03:00 local on 2026-10-25.
        var spec = Spec("""{"cron_expressions":["30 2 * * *"],"timezone":"Europe/Berlin"}""");

        var occurrences = spec.Between(Utc("2026-10-24T12:00:00Z"), Utc("2026-10-26T12:00:00Z"), 10);

        Assert.Equal([Utc("2026-10-25T00:30:00Z"), Utc("2026-10-26T01:30:00Z")], occurrences);
    }

    [Fact]
    public void intervals_are_anchored_to_the_epoch_with_their_offset()
    {
        var spec = Spec("""{"intervals":[{"every":"PT1H","offset":"PT15M"}]}""");

        Assert.Equal(Utc("2026-04-22T06:15:00Z"), spec.NextAfter(Utc("2026-04-22T05:20:00Z")));
        Assert.Equal(Utc("2026-04-22T07:15:00Z"), spec.NextAfter(Utc("2026-04-22T06:15:00Z")));
    }

    [Fact]
    public void the_earliest_candidate_across_cron_and_intervals_wins()
    {
        var spec = Spec("""{"cron_expressions":["0 6 * * *"],"intervals":[{"every":"PT30M"}],"timezone":"UTC"}""");

        Assert.Equal(Utc("2026-04-22T05:30:00Z"), spec.NextAfter(Utc("2026-04-22T05:10:00Z")));
    }

    [Theory]
    [InlineData("P1M", 30 * 86_400L)]
    [InlineData("P1Y", 365 * 86_400L)]
    [InlineData("P1DT2H3M4S", 86_400L + 7200 + 180 + 4)]
    [InlineData("PT30M", 1800L)]
    public void iso_durations_count_months_as_30_days_and_years_as_365(string text, long seconds) =>
        Assert.Equal(seconds, IsoDuration.TryParseSeconds(text));

    [Theory]
    [InlineData("""{}""", "spec")]
    [InlineData("""{"cron_expressions":[],"intervals":[]}""", "spec")]
    [InlineData("""{"cron_expressions":["61 * * * *"]}""", "spec.cron_expressions.0")]
    [InlineData("""{"cron_expressions":["* * * * * *"]}""", "spec.cron_expressions.0")]
    [InlineData("""{"cron_expressions":["0 6 * * *"],"timezone":"Mars/Olympus"}""", "spec.timezone")]
    [InlineData("""{"intervals":[{"every":"soon"}]}""", "spec.intervals.0.every")]
    [InlineData("""{"intervals":[{"every":"PT1H","offset":"later"}]}""", "spec.intervals.0.offset")]
    public void bad_specs_name_the_field(string json, string field)
    {
        using var document = JsonDocument.Parse(json);
        var v = new RequestValidator(null);

        Assert.Null(ScheduleSpec.Parse(document.RootElement.Clone(), v, required: true));

        var errors = v.ToError().Details["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"errors: {errors.ToJsonString()}");
    }
}
