using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workflows;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>The schedule routes of the control plane (control-plane spec §9): validation, the row writes and the answers.</summary>
public sealed partial class ScheduleService(NpgsqlDataSource dataSource, WakeBus wakeBus, ScheduleFirer firer)
{
    public const int MaxBackfillOccurrences = 1000;

    private const int MaxNoteLength = 1000;

    public async Task<ApiResult<JsonObject>> CreateAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var scheduleId = v.String("schedule_id", maxLength: 128, pattern: ScheduleIdPattern());
        var spec = ScheduleSpec.Parse(v.Object("spec"), v, required: true);
        var action = ParseAction(v, existing: null);
        var policy = v.OneOf("overlap_policy", ScheduleFirer.OverlapPolicies);
        var jitter = v.Integer("jitter_seconds", min: 0, max: 3600);
        var maxRuns = v.Integer("max_runs", min: 1, max: int.MaxValue);
        var memo = ObjectOrNull(v, "memo");
        var attributes = ObjectOrNull(v, "search_attributes");
        var note = v.String("note", maxLength: MaxNoteLength);
        var paused = v.Boolean("paused") ?? false;
        if (!v.IsValid)
        {
            return v.ToError();
        }

        if (MemoTooLarge(memo) is { } memoError)
        {
            return memoError;
        }

        scheduleId ??= Ulid.NewId();
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: false, cancellationToken) is not null)
        {
            return new ApiError(409, "schedule_already_exists", $"Schedule [{scheduleId}] already exists in namespace [{ns}].")
                .With("schedule_id", scheduleId);
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        var jitterSeconds = jitter ?? 0;
        var row = new ScheduleRow
        {
            Id = Ulid.NewId(),
            Namespace = ns,
            ScheduleId = scheduleId,
            Spec = spec!.Raw,
            Action = action!,
            OverlapPolicy = policy ?? "skip",
            JitterSeconds = jitterSeconds,
            MaxRuns = maxRuns,
            RemainingActions = maxRuns,
            Memo = memo,
            SearchAttributes = attributes,
            Note = note,
            Status = paused ? "paused" : "active",
            NextFireAt = ScheduleFirer.NextFire(spec, jitterSeconds, now),
            PausedAt = paused ? now : null,
            RecentActions = [],
            BufferedActions = [],
        };
        try
        {
            await ScheduleStore.InsertAsync(tx, row, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return new ApiError(409, "schedule_already_exists", $"Schedule [{scheduleId}] already exists in namespace [{ns}].")
                .With("schedule_id", scheduleId);
        }

        await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleCreated", new JsonObject
        {
            ["spec"] = row.Spec.DeepClone(),
            ["action"] = row.Action.DeepClone(),
            ["overlap_policy"] = row.OverlapPolicy,
            ["next_fire_at"] = Wire(row.NextFireAt),
        }, null, null, null, cancellationToken);
        if (paused)
        {
            await ScheduleStore.AppendHistoryAsync(tx, row, "SchedulePaused", new JsonObject { ["reason"] = note, ["paused_at"] = Wire(now) },
                null, null, null, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["outcome"] = "created",
            ["namespace"] = ns,
            ["status"] = row.Status,
            ["workflow_type"] = row.Action["workflow_type"]?.DeepClone(),
            ["task_queue"] = row.Action["task_queue"]?.DeepClone(),
            ["overlap_policy"] = row.OverlapPolicy,
            ["next_fire_at"] = Wire(row.NextFireAt),
            ["created_at"] = Wire(now),
        }, 201);
    }

    /// <summary>
    /// <c>GET /api/schedules</c> with the client-expected filters and keyset paging (control-plane §9.2): <c>status</c>
    /// (<c>active</c>/<c>paused</c>), <c>workflow_type</c>, <c>query</c>, <c>page_size</c> (1–200, default 50) and the
    /// opaque <c>next_page_token</c>; a bad value is a 422 naming the parameter.
    /// </summary>
    public async Task<ApiResult<JsonObject>> ListAsync(string ns, ScheduleListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var validator = new RequestValidator(null);
        var status = string.IsNullOrEmpty(query.Status) ? null : query.Status;
        if (status is not null and not ("active" or "paused"))
        {
            validator.AddError("status", "The selected status is invalid.");
        }

        var pageSize = QueryParameters.Integer(validator, "page_size", query.PageSize, 1, ScheduleListPage.MaxPageSize) ?? ScheduleListPage.DefaultPageSize;
        ScheduleListCursor? after = null;
        if (!string.IsNullOrEmpty(query.NextPageToken) && !ScheduleListCursor.TryDecode(query.NextPageToken, out after))
        {
            validator.AddError("next_page_token", "The next page token is invalid.");
        }

        if (!validator.IsValid)
        {
            return validator.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        var (rows, next) = await ScheduleStore.ListAsync(tx, ns, new ScheduleListPage(status,
            string.IsNullOrEmpty(query.WorkflowType) ? null : query.WorkflowType, string.IsNullOrEmpty(query.Query) ? null : query.Query, pageSize, after),
            cancellationToken);
        var list = new JsonArray();
        foreach (var row in rows)
        {
            var item = new JsonObject
            {
                ["schedule_id"] = row.ScheduleId,
                ["workflow_type"] = row.Action["workflow_type"]?.DeepClone(),
                ["status"] = row.Status,
                ["paused"] = row.Status == "paused",
                ["spec"] = row.Spec.DeepClone(),
                ["action"] = row.Action.DeepClone(),
                ["next_fire"] = Wire(row.NextFireAt),
                ["last_fire"] = Wire(row.LastFiredAt),
                ["next_fire_at"] = Wire(row.NextFireAt),
                ["last_fired_at"] = Wire(row.LastFiredAt),
                ["overlap_policy"] = row.OverlapPolicy,
                ["note"] = row.Note,
                ["fires_count"] = row.FiresCount,
                ["failures_count"] = row.FailuresCount,
                ["latest_workflow_instance_id"] = row.LatestWorkflowInstanceId,
                ["paused_at"] = Wire(row.PausedAt),
                ["created_at"] = Wire(row.CreatedAt),
                ["updated_at"] = Wire(row.UpdatedAt),
            };
            if (row.JitterSeconds > 0)
            {
                item["jitter_seconds"] = row.JitterSeconds;
            }

            if (row.MaxRuns is { } max)
            {
                item["max_runs"] = max;
                item["remaining_actions"] = row.RemainingActions;
            }

            list.Add(item);
        }

        return ApiResult<JsonObject>.Ok(new JsonObject { ["namespace"] = ns, ["schedules"] = list, ["next_page_token"] = next?.Encode() });
    }

    public async Task<ApiResult<JsonObject>> DescribeAsync(string ns, string scheduleId, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: false, cancellationToken) is not { } row)
        {
            return NotFound(ns, scheduleId);
        }

        return ApiResult<JsonObject>.Ok(Describe(row));
    }

    public async Task<ApiResult<JsonObject>> UpdateAsync(string ns, string scheduleId, JsonElement? body, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: true, cancellationToken) is not { } row)
        {
            return NotFound(ns, scheduleId);
        }

        var v = new RequestValidator(body);
        var spec = ScheduleSpec.Parse(v.Object("spec"), v, required: false);
        var action = v.Has("action") ? ParseAction(v, row.Action) : null;
        var policy = v.OneOf("overlap_policy", ScheduleFirer.OverlapPolicies);
        var jitter = v.Integer("jitter_seconds", min: 0, max: 3600);
        var maxRuns = v.Integer("max_runs", min: 1, max: int.MaxValue);
        var memo = v.Has("memo") ? ObjectOrNull(v, "memo") ?? [] : null;
        var attributes = v.Has("search_attributes") ? ObjectOrNull(v, "search_attributes") ?? [] : null;
        var note = v.String("note", maxLength: MaxNoteLength);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        if (MemoTooLarge(memo) is { } memoError)
        {
            return memoError;
        }

        var changed = new JsonArray();
        foreach (var field in new[] { "spec", "action", "overlap_policy", "jitter_seconds", "max_runs", "memo", "search_attributes", "note" })
        {
            if (v.Has(field))
            {
                changed.Add(field);
            }
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        var effectiveSpec = spec ?? ScheduleSpec.FromStored(row.Spec.ToJsonString());
        var effectiveJitter = jitter ?? row.JitterSeconds;
        int? remaining = row.RemainingActions;
        if (maxRuns is { } max)
        {
            // §9.5: a raised or first limit counts what already fired; a lowered one keeps the current count.
            var left = (int)Math.Max(0, max - row.FiresCount);
            remaining = row.MaxRuns is null || left > (row.RemainingActions ?? 0) ? left : row.RemainingActions;
        }

        var updated = row with
        {
            Spec = spec?.Raw ?? row.Spec,
            Action = action ?? row.Action,
            OverlapPolicy = policy ?? row.OverlapPolicy,
            JitterSeconds = effectiveJitter,
            MaxRuns = maxRuns ?? row.MaxRuns,
            RemainingActions = remaining,
            Memo = memo is null ? row.Memo : memo.Count == 0 ? null : memo,
            SearchAttributes = attributes is null ? row.SearchAttributes : attributes.Count == 0 ? null : attributes,
            Note = v.Has("note") ? note : row.Note,
            NextFireAt = ScheduleFirer.NextFire(effectiveSpec, effectiveJitter, now),
        };
        await ScheduleStore.SaveAsync(tx, updated, cancellationToken);
        await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleUpdated", new JsonObject
        {
            ["changed_fields"] = changed.DeepClone(),
            ["fields"] = changed,
            ["spec"] = updated.Spec.DeepClone(),
            ["action"] = updated.Action.DeepClone(),
            ["overlap_policy"] = updated.OverlapPolicy,
            ["next_fire_at"] = Wire(updated.NextFireAt),
        }, null, null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["outcome"] = "updated",
            ["namespace"] = ns,
            ["workflow_type"] = updated.Action["workflow_type"]?.DeepClone(),
            ["task_queue"] = updated.Action["task_queue"]?.DeepClone(),
            ["overlap_policy"] = updated.OverlapPolicy,
            ["next_fire_at"] = Wire(updated.NextFireAt),
            ["updated_at"] = Wire(now),
        });
    }

    public async Task<ApiResult<JsonObject>> DeleteAsync(string ns, string scheduleId, CancellationToken cancellationToken)
    {
        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: true, cancellationToken) is not { } row)
        {
            return NotFound(ns, scheduleId);
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        await ScheduleStore.SaveAsync(tx, row with { Status = "deleted", DeletedAt = now, NextFireAt = null, BufferedActions = [] }, cancellationToken);
        await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleDeleted", new JsonObject { ["deleted_at"] = Wire(now) }, null, null, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["outcome"] = "deleted",
            ["namespace"] = ns,
            ["deleted_at"] = Wire(now),
        });
    }

    public async Task<ApiResult<JsonObject>> PauseAsync(string ns, string scheduleId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var note = v.String("note", maxLength: MaxNoteLength);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: true, cancellationToken) is not { } row)
        {
            return NotFound(ns, scheduleId);
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        // Pausing a paused schedule is a no-op that keeps the original paused_at.
        var pausedAt = row.Status == "paused" ? row.PausedAt ?? now : now;
        var updated = row with { Status = "paused", PausedAt = pausedAt, Note = v.Has("note") ? note : row.Note };
        await ScheduleStore.SaveAsync(tx, updated, cancellationToken);
        if (row.Status != "paused")
        {
            await ScheduleStore.AppendHistoryAsync(tx, row, "SchedulePaused", new JsonObject { ["reason"] = note, ["paused_at"] = Wire(now) },
                null, null, null, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["outcome"] = "paused",
            ["namespace"] = ns,
            ["paused"] = true,
            ["note"] = updated.Note,
            ["paused_at"] = Wire(pausedAt),
        });
    }

    public async Task<ApiResult<JsonObject>> ResumeAsync(string ns, string scheduleId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var note = v.String("note", maxLength: MaxNoteLength);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        await using var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: true, cancellationToken) is not { } row)
        {
            return NotFound(ns, scheduleId);
        }

        var now = await ScheduleStore.NowAsync(tx, cancellationToken);
        var updated = row;
        if (row.Status == "paused")
        {
            // Occurrences missed while paused are not fired (§9.5): the next fire is computed from the resume instant.
            var spec = ScheduleSpec.FromStored(row.Spec.ToJsonString());
            updated = row with { Status = "active", ResumedAt = now, NextFireAt = ScheduleFirer.NextFire(spec, row.JitterSeconds, now) };
            await ScheduleStore.AppendHistoryAsync(tx, row, "ScheduleResumed", new JsonObject { ["next_fire_at"] = Wire(updated.NextFireAt) },
                null, null, null, cancellationToken);
        }

        updated = updated with { Note = v.Has("note") ? note : row.Note };
        await ScheduleStore.SaveAsync(tx, updated, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["outcome"] = "resumed",
            ["namespace"] = ns,
            ["paused"] = false,
            ["note"] = updated.Note,
            ["resumed_at"] = Wire(updated.ResumedAt ?? now),
            ["next_fire_at"] = Wire(updated.NextFireAt),
        });
    }

    public async Task<ApiResult<JsonObject>> TriggerAsync(string ns, string scheduleId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var policy = v.OneOf("overlap_policy", ScheduleFirer.OverlapPolicies);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        if (await FindRefAsync(ns, scheduleId, cancellationToken) is not { } id)
        {
            return NotFound(ns, scheduleId);
        }

        var result = await firer.FireAsync(new FireRequest(id, FireKind.Manual, OverlapOverride: policy), null, cancellationToken);
        var answer = new JsonObject { ["schedule_id"] = scheduleId, ["namespace"] = ns };
        switch (result.Outcome)
        {
            case "triggered":
                answer["outcome"] = "triggered";
                answer["workflow_id"] = result.WorkflowId;
                answer["run_id"] = result.RunId;
                break;
            case "buffered":
                answer["outcome"] = "buffered";
                answer["buffer_depth"] = result.BufferDepth;
                break;
            case "buffer_full":
                answer["outcome"] = "buffer_full";
                answer["reason"] = "Previous workflow is still running and buffer is at capacity.";
                break;
            case "failed":
                // Documented as HTTP 500 upstream; a failed start is the action's fault, so it is answered as a 422.
                return new ApiError(422, "trigger_failed", result.Reason ?? "The schedule's workflow could not be started.")
                    .With("schedule_id", scheduleId).With("outcome", "trigger_failed");
            case "not_due":
                return NotFound(ns, scheduleId);
            default:
                answer["outcome"] = "skipped";
                answer["reason"] = result.Reason;
                break;
        }

        return ApiResult<JsonObject>.Ok(answer);
    }

    public async Task<ApiResult<JsonObject>> BackfillAsync(string ns, string scheduleId, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var start = Time(v, "start_time");
        var end = Time(v, "end_time");
        var policy = v.OneOf("overlap_policy", ScheduleFirer.OverlapPolicies);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        if (end <= start)
        {
            return new ApiError(422, "invalid_time_range", "end_time must be after start_time.");
        }

        ScheduleRow row;
        await using (var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken))
        {
            if (await ScheduleStore.FindLiveAsync(tx, ns, scheduleId, forUpdate: false, cancellationToken) is not { } found)
            {
                return NotFound(ns, scheduleId);
            }

            row = found;
        }

        var occurrences = ScheduleSpec.FromStored(row.Spec.ToJsonString()).Between(start!.Value, end!.Value, MaxBackfillOccurrences);
        if (occurrences.Count > MaxBackfillOccurrences)
        {
            var error = new RequestValidator(null);
            error.AddError("end_time", $"The backfill range holds more than {MaxBackfillOccurrences} occurrences.");
            return error.ToError();
        }

        var results = new JsonArray();
        foreach (var occurrence in occurrences)
        {
            var result = await firer.FireAsync(new FireRequest(row.Id, FireKind.Backfill, occurrence, policy), null, cancellationToken);
            var item = new JsonObject { ["fire_time"] = Wire(occurrence) };
            if (result.Started)
            {
                item["outcome"] = "started";
                item["workflow_id"] = result.WorkflowId;
                item["run_id"] = result.RunId;
            }
            else if (result.Outcome == "failed")
            {
                item["outcome"] = "failed";
                item["reason"] = result.Reason;
            }
            else
            {
                item["outcome"] = "skipped";
                if (result.Reason is { } reason)
                {
                    item["reason"] = reason;
                }
            }

            results.Add(item);
            if (result.Reason == "remaining_actions_exhausted" || result.Outcome == "not_due")
            {
                break;
            }
        }

        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["namespace"] = ns,
            ["outcome"] = "backfill_started",
            ["fires_attempted"] = results.Count,
            ["results"] = results,
        });
    }

    public async Task<ApiResult<JsonObject>> HistoryAsync(string ns, string scheduleId, string? limitText, string? afterText, CancellationToken cancellationToken)
    {
        long after = 0;
        if (afterText is not null && (!long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            return new ApiError(422, "invalid_after_sequence", "after_sequence must be a non-negative integer.");
        }

        var limit = int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l > 0 ? Math.Min(l, 500) : 100;
        await using var read = dataSource.CreateCommand(
            """
            SELECT id, sequence, event_type, payload::text, workflow_instance_id, workflow_run_id, recorded_at, occurrence_time,
                   EXISTS (SELECT 1 FROM workflow_schedules s WHERE s.namespace = $1 AND s.schedule_id = $2)
              FROM (SELECT 1) one
              LEFT JOIN LATERAL (
                   SELECT * FROM workflow_schedule_history h
                    WHERE h.namespace = $1 AND h.schedule_id = $2 AND h.sequence > $3
                    ORDER BY h.sequence LIMIT $4) h ON true
            """);
        read.Parameters.Add(new NpgsqlParameter { Value = ns });
        read.Parameters.Add(new NpgsqlParameter { Value = scheduleId });
        read.Parameters.Add(new NpgsqlParameter { Value = after });
        read.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        var events = new JsonArray();
        var exists = false;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                exists = reader.GetBoolean(8);
                if (reader.IsDBNull(0))
                {
                    continue;
                }

                events.Add(new JsonObject
                {
                    ["id"] = reader.GetString(0),
                    ["sequence"] = reader.GetInt64(1),
                    ["event_type"] = reader.GetString(2),
                    ["payload"] = JsonNode.Parse(reader.GetString(3)),
                    ["workflow_instance_id"] = reader.IsDBNull(4) ? null : reader.GetString(4),
                    ["workflow_run_id"] = reader.IsDBNull(5) ? null : reader.GetString(5),
                    ["occurrence_time"] = reader.IsDBNull(7) ? null : Wire(reader.GetFieldValue<DateTimeOffset>(7)),
                    ["recorded_at"] = Wire(reader.GetFieldValue<DateTimeOffset>(6)),
                });
            }
        }

        if (!exists)
        {
            return NotFound(ns, scheduleId);
        }

        var hasMore = events.Count > limit;
        if (hasMore)
        {
            events.RemoveAt(events.Count - 1);
        }

        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["schedule_id"] = scheduleId,
            ["namespace"] = ns,
            ["events"] = events,
            ["next_cursor"] = hasMore ? events[^1]!["sequence"]!.DeepClone() : null,
            ["has_more"] = hasMore,
        });
    }

    private static JsonObject Describe(ScheduleRow row)
    {
        var body = new JsonObject
        {
            ["schedule_id"] = row.ScheduleId,
            ["namespace"] = row.Namespace,
            ["workflow_type"] = row.Action["workflow_type"]?.DeepClone(),
            ["task_queue"] = row.Action["task_queue"]?.DeepClone(),
            ["status"] = row.Status,
            ["paused"] = row.Status == "paused",
            ["note"] = row.Note,
            ["spec"] = row.Spec.DeepClone(),
            ["action"] = row.Action.DeepClone(),
            ["overlap_policy"] = row.OverlapPolicy,
            ["state"] = new JsonObject { ["status"] = row.Status, ["paused"] = row.Status == "paused", ["note"] = row.Note },
            ["info"] = new JsonObject
            {
                ["next_fire"] = Wire(row.NextFireAt),
                ["last_fire"] = Wire(row.LastFiredAt),
                ["fires_count"] = row.FiresCount,
                ["failures_count"] = row.FailuresCount,
                ["recent_actions"] = row.RecentActions.DeepClone(),
                ["buffered_actions"] = row.BufferedActions.DeepClone(),
                ["skipped_trigger_count"] = row.SkippedTriggerCount,
                ["last_skip_reason"] = row.LastSkipReason,
                ["last_skipped_at"] = Wire(row.LastSkippedAt),
            },
            ["memo"] = row.Memo?.DeepClone(),
            ["search_attributes"] = row.SearchAttributes?.DeepClone(),
            ["jitter_seconds"] = row.JitterSeconds,
            ["max_runs"] = row.MaxRuns,
            ["remaining_actions"] = row.RemainingActions,
            ["fires_count"] = row.FiresCount,
            ["failures_count"] = row.FailuresCount,
            ["next_fire_at"] = Wire(row.NextFireAt),
            ["last_fired_at"] = Wire(row.LastFiredAt),
            ["paused_at"] = Wire(row.PausedAt),
            ["latest_workflow_instance_id"] = row.LatestWorkflowInstanceId,
            ["created_at"] = Wire(row.CreatedAt),
            ["updated_at"] = Wire(row.UpdatedAt),
        };
        return body;
    }

    /// <summary>The action: required <c>workflow_type</c> on create; on update merged into the existing one (§9.5).</summary>
    private static JsonObject? ParseAction(RequestValidator v, JsonObject? existing)
    {
        if (v.Object("action") is not { } element)
        {
            if (existing is null && !v.Has("action"))
            {
                v.AddError("action", "The action field is required.");
            }

            return null;
        }

        var merged = existing?.DeepClone().AsObject() ?? [];
        foreach (var property in element.EnumerateObject())
        {
            merged[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        // Legacy timeout names become the current ones (control-plane §9.1).
        foreach (var (legacy, current) in new[] { ("workflow_execution_timeout", "execution_timeout_seconds"), ("workflow_run_timeout", "run_timeout_seconds") })
        {
            if (merged[legacy] is { } value)
            {
                merged[current] ??= value.DeepClone();
                merged.Remove(legacy);
            }
        }

        using var document = JsonDocument.Parse(merged.ToJsonString());
        var a = new RequestValidator(document.RootElement);
        a.String("workflow_type", required: true, maxLength: 255);
        a.String("task_queue", maxLength: 255);
        a.Integer("execution_timeout_seconds", min: 1, max: int.MaxValue);
        a.Integer("run_timeout_seconds", min: 1, max: int.MaxValue);
        if (!a.IsValid)
        {
            foreach (var (field, messages) in Errors(a))
            {
                foreach (var message in messages)
                {
                    v.AddError($"action.{field}", message);
                }
            }

            return null;
        }

        return merged;
    }

    private static IEnumerable<(string Field, IEnumerable<string> Messages)> Errors(RequestValidator a)
    {
        var errors = a.ToError().Details["errors"]!.AsObject();
        return errors.Select(e => (e.Key, e.Value!.AsArray().Select(m => (string)m!)));
    }

    private static JsonObject? ObjectOrNull(RequestValidator v, string field) =>
        v.Object(field) is { } value ? JsonNode.Parse(value.GetRawText())!.AsObject() : null;

    private static ApiError? MemoTooLarge(JsonObject? memo)
    {
        if (memo is null)
        {
            return null;
        }

        var limit = WorkflowStartService.MaxMemoBytes;
        return System.Text.Encoding.UTF8.GetByteCount(memo.ToJsonString()) > limit
            ? new ApiError(422, "memo_too_large", $"The memo exceeds the maximum allowed size of {limit} bytes.").With("limit", limit)
            : null;
    }

    private static DateTimeOffset? Time(RequestValidator v, string field)
    {
        var text = v.String(field, required: true);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            v.AddError(field, $"The {field} field must be a valid date.");
            return null;
        }

        return at;
    }

    private async Task<string?> FindRefAsync(string ns, string scheduleId, CancellationToken cancellationToken)
    {
        await using var find = dataSource.CreateCommand("SELECT id FROM workflow_schedules WHERE namespace = $1 AND schedule_id = $2 AND status <> 'deleted'");
        find.Parameters.Add(new NpgsqlParameter { Value = ns });
        find.Parameters.Add(new NpgsqlParameter { Value = scheduleId });
        return await find.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static ApiError NotFound(string ns, string scheduleId) =>
        new(404, "schedule_not_found", $"Schedule [{scheduleId}] not found in namespace [{ns}].");

    private static string? Wire(DateTimeOffset? value) => value is { } at ? WireTime.Offset(at) : null;

    [GeneratedRegex("^[A-Za-z0-9._:-]+$")]
    private static partial Regex ScheduleIdPattern();
}
