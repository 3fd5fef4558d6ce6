using System.Text.Json;
using System.Text.Json.Nodes;
using Cronos;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// A parsed schedule spec (control-plane §9.1, rollout contract §9.5): 5-field cron expressions evaluated in an IANA
/// zone (Cronos handles the DST gap and overlap) and epoch-anchored intervals with an optional offset.
/// </summary>
public sealed class ScheduleSpec
{
    private readonly IReadOnlyList<CronExpression> crons;
    private readonly IReadOnlyList<(long Every, long Offset)> intervals;

    private ScheduleSpec(JsonObject raw, IReadOnlyList<CronExpression> crons, IReadOnlyList<(long, long)> intervals, TimeZoneInfo zone, string? primaryCron)
    {
        Raw = raw;
        this.crons = crons;
        this.intervals = intervals;
        Zone = zone;
        PrimaryCron = primaryCron;
    }

    /// <summary>The spec as the client sent it, stored and answered verbatim.</summary>
    public JsonObject Raw { get; }

    public TimeZoneInfo Zone { get; }

    public string? PrimaryCron { get; }

    /// <summary>Parses a request's <c>spec</c>; errors are added under <c>spec</c>, <c>spec.cron_expressions</c>, ... .</summary>
    public static ScheduleSpec? Parse(JsonElement? element, RequestValidator v, bool required)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (element is not { } spec)
        {
            if (required)
            {
                v.AddError("spec", "The spec field is required.");
            }

            return null;
        }

        var before = v.IsValid;
        var crons = new List<CronExpression>();
        string? primary = null;
        if (spec.TryGetProperty("cron_expressions", out var cronList) && cronList.ValueKind != JsonValueKind.Null)
        {
            if (cronList.ValueKind != JsonValueKind.Array)
            {
                v.AddError("spec.cron_expressions", "The spec.cron_expressions field must be an array.");
            }
            else
            {
                var index = 0;
                foreach (var item in cronList.EnumerateArray())
                {
                    var field = $"spec.cron_expressions.{index++}";
                    if (item.ValueKind != JsonValueKind.String || item.GetString() is not { } text)
                    {
                        v.AddError(field, $"The {field} field must be a string.");
                        continue;
                    }

                    if (TryParseCron(text) is { } cron)
                    {
                        crons.Add(cron);
                        primary ??= text.Trim();
                    }
                    else
                    {
                        v.AddError(field, $"The cron expression [{text}] is not a valid 5-field cron expression.");
                    }
                }
            }
        }

        var intervals = new List<(long, long)>();
        if (spec.TryGetProperty("intervals", out var intervalList) && intervalList.ValueKind != JsonValueKind.Null)
        {
            if (intervalList.ValueKind != JsonValueKind.Array)
            {
                v.AddError("spec.intervals", "The spec.intervals field must be an array.");
            }
            else
            {
                var index = 0;
                foreach (var item in intervalList.EnumerateArray())
                {
                    var field = $"spec.intervals.{index++}";
                    var every = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("every", out var e) && e.ValueKind == JsonValueKind.String
                        ? IsoDuration.TryParseSeconds(e.GetString())
                        : null;
                    if (every is not > 0)
                    {
                        v.AddError($"{field}.every", $"The {field}.every field must be a positive ISO-8601 duration such as PT30M.");
                        continue;
                    }

                    long offset = 0;
                    if (item.TryGetProperty("offset", out var o) && o.ValueKind != JsonValueKind.Null)
                    {
                        if (o.ValueKind != JsonValueKind.String || IsoDuration.TryParseSeconds(o.GetString()) is not { } parsed)
                        {
                            v.AddError($"{field}.offset", $"The {field}.offset field must be an ISO-8601 duration.");
                            continue;
                        }

                        offset = parsed;
                    }

                    intervals.Add((every.Value, offset));
                }
            }
        }

        var zone = TimeZoneInfo.Utc;
        if (spec.TryGetProperty("timezone", out var tz) && tz.ValueKind != JsonValueKind.Null)
        {
            if (tz.ValueKind != JsonValueKind.String || tz.GetString() is not { Length: > 0 and <= 64 } zoneId || FindZone(zoneId) is not { } found)
            {
                v.AddError("spec.timezone", "The spec.timezone field must be a known IANA time zone such as Europe/Berlin.");
            }
            else
            {
                zone = found;
            }
        }

        if (before && v.IsValid && crons.Count == 0 && intervals.Count == 0)
        {
            v.AddError("spec", "The spec must contain at least one cron expression or interval.");
        }

        return v.IsValid ? new ScheduleSpec(JsonNode.Parse(spec.GetRawText())!.AsObject(), crons, intervals, zone, primary) : null;
    }

    /// <summary>Re-reads a stored spec; stored specs were validated when written.</summary>
    public static ScheduleSpec FromStored(string json)
    {
        using var document = JsonDocument.Parse(json);
        var v = new RequestValidator(null);
        return Parse(document.RootElement.Clone(), v, required: true)
            ?? throw new InvalidOperationException("A stored schedule spec no longer parses.");
    }

    /// <summary>The earliest occurrence strictly after <paramref name="after"/>, without jitter; null when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        DateTimeOffset? best = null;
        foreach (var cron in crons)
        {
            if (cron.GetNextOccurrence(after, Zone, inclusive: false) is { } next && (best is null || next < best))
            {
                best = next;
            }
        }

        var t = after.ToUnixTimeSeconds();
        foreach (var (every, offset) in intervals)
        {
            // Whole-second occurrences: a fractional reference second is "after" its floor, so floor division works.
            var next = offset + ((long)Math.Floor((double)(t - offset) / every) + 1) * every;
            var at = DateTimeOffset.FromUnixTimeSeconds(next);
            if (at <= after)
            {
                at = at.AddSeconds(every);
            }

            if (best is null || at < best)
            {
                best = at;
            }
        }

        return best;
    }

    /// <summary>Occurrences in [from, to), in order, at most <paramref name="max"/> + 1 so callers can detect overflow.</summary>
    public IReadOnlyList<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to, int max)
    {
        var result = new List<DateTimeOffset>();
        var cursor = from.AddTicks(-1);
        while (result.Count <= max && NextAfter(cursor) is { } next && next < to)
        {
            result.Add(next);
            cursor = next;
        }

        return result;
    }

    private static CronExpression? TryParseCron(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5)
        {
            return null;
        }

        try
        {
            return CronExpression.Parse(trimmed, CronFormat.Standard);
        }
        catch (CronFormatException)
        {
            return null;
        }
    }

    private static TimeZoneInfo? FindZone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
        catch (InvalidTimeZoneException)
        {
            return null;
        }
    }
}
