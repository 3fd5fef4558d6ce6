using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;
using DurableWorkflow.Core.SearchAttributes;
using DurableWorkflow.Core.SearchAttributes.Visibility;
using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// The read side of the workflow API (control-plane spec §4.1, §4.3–§4.5, §4.7, §5): list, describe, runs, debug,
/// history and history export. Every read is scoped to the request namespace, so a workflow of another namespace is
/// indistinguishable from a missing one. All SQL of these reads lives here.
/// </summary>
public sealed class WorkflowReadService(
    NpgsqlDataSource dataSource, WakeBus wakeBus, ServerSettings settings, TimeProvider clock, SearchAttributeStore searchAttributes)
{
    public const int DefaultListPageSize = 50;
    public const int MaxListPageSize = 200;

    /// <summary>
    /// Deliberate deviation from upstream's default of 100: the Python SDK's <c>get_result</c> reads one history page
    /// without a token and scans it for the terminal event (worker-protocol spec §8.4 item 2), so the default page is
    /// the maximum to keep that event reachable for runs of up to 1000 events.
    /// </summary>
    public const int DefaultHistoryPageSize = 1000;

    public const int MaxHistoryPageSize = 1000;

    private const int DebugTaskLimit = 25;
    private const int DebugFailureLimit = 10;
    private const int DebugHistoryTail = 10;

    /// <summary>The list <c>status</c> rule advertised in <c>request_contract</c>, so validation and discovery agree.</summary>
    private static readonly RequestFieldRule StatusRule = new RequestContractOperations().List.Fields["status"];

    // The liveness state goes through the blocked projection (rollout contract §5.6), read at the same instant.
    private static readonly string RunColumns =
        $"""
        i.namespace, i.run_count, i.current_run_id, r.id, r.workflow_instance_id, r.workflow_type, r.business_key,
        r.status, r.status_bucket, r.closed_reason, r.task_queue, r.run_number, r.compatibility, r.payload_codec,
        r.execution_timeout_seconds, r.run_timeout_seconds, r.execution_deadline_at, r.run_deadline_at,
        r.arguments::text AS arguments, r.output::text AS output, r.started_at, r.closed_at, r.last_progress_at,
        r.wait_kind, r.wait_reason, r.wait_started_at, r.memo::text AS memo, r.search_attributes::text AS search_attributes,
        r.archived_at, r.archive_command_id, r.archive_reason, {CompatibilityRouting.LivenessSql("r")} AS liveness_state,
        r.liveness_reason, r.repair_attention, r.workflow_definition_fingerprint,
        r.task_problem, r.next_task_id, r.next_task_type, r.next_task_status, r.next_task_at, r.last_history_sequence,
        r.history_size_bytes, r.sort_at, r.updated_at
        """;

    public async Task<ApiResult<WorkflowListResponse>> ListAsync(string ns, WorkflowListRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var validator = new RequestValidator(null);
        var status = NullIfEmpty(request.Status);
        if (status is not null && !StatusRule.CanonicalValues!.Contains(status, StringComparer.Ordinal))
        {
            validator.AddError("status", StatusRule.RejectedAliases!.TryGetValue(status, out var canonical)
                ? $"The selected status is invalid. Use {canonical} instead of {status}."
                : "The selected status is invalid.");
        }

        var pageSize = QueryParameters.Integer(validator, "page_size", request.PageSize, 1, MaxListPageSize) ?? DefaultListPageSize;
        if (!validator.IsValid)
        {
            return validator.ToError();
        }

        var offset = WorkflowListPageToken.Decode(request.NextPageToken);
        var sql = new StringBuilder(
            """
            SELECT r.workflow_instance_id, r.id, r.workflow_type, r.business_key, r.status, r.status_bucket, r.task_queue,
                   r.started_at, r.closed_at, r.search_attributes::text
              FROM workflow_runs r
             WHERE r.namespace = $1
            """);
        var parameters = new List<NpgsqlParameter> { new() { Value = ns } };
        if (NullIfEmpty(request.WorkflowType) is { } workflowType)
        {
            parameters.Add(new NpgsqlParameter { Value = workflowType });
            sql.Append(CultureInfo.InvariantCulture, $" AND r.workflow_type = ${parameters.Count}");
        }

        if (status is not null)
        {
            parameters.Add(new NpgsqlParameter { Value = status });
            sql.Append(CultureInfo.InvariantCulture, $" AND r.status_bucket = ${parameters.Count}");
        }

        if (request.Query is { } rawQuery && rawQuery.Trim() is { Length: > 0 } term)
        {
            string? condition;
            try
            {
                // The untrimmed text, so an error position counts from the first character the client sent.
                condition = await QueryConditionAsync(ns, rawQuery, parameters, cancellationToken);
            }
            catch (InvalidVisibilityQueryException invalid)
            {
                return invalid.ToApiError();
            }

            if (condition is null)
            {
                parameters.Add(new NpgsqlParameter { Value = LikeContains(term) });
                condition = $"(r.workflow_instance_id ILIKE ${parameters.Count} ESCAPE '\\' OR r.business_key ILIKE ${parameters.Count} ESCAPE '\\')";
            }

            sql.Append(" AND ").Append(condition);
        }

        parameters.Add(new NpgsqlParameter { Value = offset });
        parameters.Add(new NpgsqlParameter { Value = pageSize + 1 });
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY r.sort_at DESC, r.id DESC OFFSET ${parameters.Count - 1} LIMIT ${parameters.Count}");

        await using var command = dataSource.CreateCommand(sql.ToString());
        command.Parameters.AddRange(parameters.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<WorkflowListItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var runStatus = reader.GetString(4);
            rows.Add(new WorkflowListItem(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.StringOrNull(3),
                runStatus,
                reader.StringOrNull(5),
                reader.GetString(6),
                RunStatuses.IsTerminal(runStatus),
                RunView.Micro(reader.TimeOrNull(7)),
                RunView.Micro(reader.TimeOrNull(8)),
                JsonNode.Parse(reader.GetString(9))!));
        }

        var more = rows.Count > pageSize;
        var page = more ? rows[..pageSize] : rows;
        return ApiResult<WorkflowListResponse>.Ok(new WorkflowListResponse(page, page.Count,
            more ? WorkflowListPageToken.Encode(offset + pageSize) : null));
    }

    /// <summary>The current run when <paramref name="runId"/> is null, else that run of the workflow.</summary>
    public async Task<ApiResult<RunView>> DescribeAsync(string ns, string workflowId, string? runId, CancellationToken cancellationToken)
    {
        var row = await LoadRunAsync(ns, workflowId, runId, cancellationToken);
        return row.Run is { } run ? ApiResult<RunView>.Ok(RunView.From(run)) : RunMiss(row, workflowId, runId);
    }

    public async Task<ApiResult<WorkflowRunsResponse>> ListRunsAsync(string ns, string workflowId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT r.id, r.run_number, r.workflow_type, r.business_key, r.status, r.status_bucket, r.task_queue, r.started_at,
                   r.closed_at, r.id = i.current_run_id
              FROM workflow_instances i
              JOIN workflow_runs r ON r.workflow_instance_id = i.id
             WHERE i.id = $1 AND i.namespace = $2
             ORDER BY r.run_number
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workflowId });
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<WorkflowRunItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new WorkflowRunItem(
                workflowId,
                reader.GetString(0),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.StringOrNull(3),
                reader.GetString(4),
                reader.StringOrNull(5),
                reader.GetString(6),
                RunView.Micro(reader.TimeOrNull(7)),
                RunView.Micro(reader.TimeOrNull(8)),
                !reader.IsDBNull(9) && reader.GetBoolean(9)));
        }

        // The instance row and its first run are written in one transaction, so no rows means no workflow here.
        return runs.Count == 0
            ? InstanceNotFound()
            : ApiResult<WorkflowRunsResponse>.Ok(new WorkflowRunsResponse(workflowId, runs.Count, runs));
    }

    /// <summary>
    /// One history page. With <c>wait_new_event</c> and nothing after the token, the request is held until an event is
    /// appended or <c>DW_WORKER_POLL_TIMEOUT</c> passes, then answers whatever is there (possibly nothing).
    /// </summary>
    public async Task<ApiResult<WorkflowHistoryResponse>> HistoryAsync(
        string ns, string workflowId, string runId, WorkflowHistoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var validator = new RequestValidator(null);
        var pageSize = QueryParameters.Integer(validator, "page_size", request.PageSize, 1, MaxHistoryPageSize) ?? DefaultHistoryPageSize;
        var wait = QueryParameters.Boolean(validator, "wait_new_event", request.WaitNewEvent) ?? false;
        if (!validator.IsValid)
        {
            return validator.ToError();
        }

        if (!await RunExistsAsync(ns, workflowId, runId, cancellationToken))
        {
            return RunNotFound(workflowId, runId);
        }

        var after = HistoryPageToken.TryDecode(request.NextPageToken, out var sequence) ? sequence : 0;
        var events = wait
            ? await LongPoll.WaitForAsync<IReadOnlyList<HistoryEventRecord>>(
                wakeBus,
                clock,
                [WakeChannels.History(runId)],
                TimeSpan.FromSeconds(settings.WorkerPollTimeoutSeconds),
                async token => await HistoryStore.ReadPageAsync(dataSource, runId, after, null, pageSize + 1, token) is { Count: > 0 } found ? found : null,
                cancellationToken) ?? []
            : await HistoryStore.ReadPageAsync(dataSource, runId, after, null, pageSize + 1, cancellationToken);
        var more = events.Count > pageSize;
        var page = (more ? events.Take(pageSize) : events).Select(ControlPlaneHistoryEvent.From).ToList();
        return ApiResult<WorkflowHistoryResponse>.Ok(new WorkflowHistoryResponse(workflowId, runId, page,
            more ? HistoryPageToken.Encode(page[^1].Sequence) : null));
    }

    /// <summary>The replay bundle of one run in any state (control-plane spec §5.2).</summary>
    public async Task<ApiResult<JsonObject>> ExportHistoryAsync(string ns, string workflowId, string runId, CancellationToken cancellationToken)
    {
        var row = await LoadRunAsync(ns, workflowId, runId, cancellationToken);
        if (row.Run is not { } run)
        {
            return RunNotFound(workflowId, runId);
        }

        await using var command = dataSource.CreateCommand(ExportSectionsSql);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var sections = new WorkflowReadExport.Sections(
            HistoryEvents: Rows(reader, 0),
            Commands: Rows(reader, 1),
            Signals: Rows(reader, 2),
            Updates: Rows(reader, 3),
            Tasks: Rows(reader, 4),
            Activities: Rows(reader, 5),
            Timers: Rows(reader, 6),
            Failures: Rows(reader, 7),
            Waits: Rows(reader, 8),
            Parents: Rows(reader, 9),
            Children: Rows(reader, 10));
        return ApiResult<JsonObject>.Ok(WorkflowReadExport.Build(run, sections, clock.GetUtcNow()));
    }

    /// <summary>
    /// The bounded support snapshot of a run (control-plane spec §4.7). <paramref name="includeLastEventPayload"/> is the
    /// raw query value, read leniently like Laravel's <c>$request->boolean()</c>.
    /// </summary>
    public async Task<ApiResult<JsonObject>> DebugAsync(
        string ns, string workflowId, string? runId, string? includeLastEventPayload, CancellationToken cancellationToken)
    {
        var row = await LoadRunAsync(ns, workflowId, runId, cancellationToken);
        if (row.Run is not { } run)
        {
            return RunMiss(row, workflowId, runId);
        }

        await using var command = dataSource.CreateCommand(DebugSectionsSql);
        command.Parameters.Add(new NpgsqlParameter { Value = run.RunId });
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = run.TaskQueue });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.WorkerStaleAfterSeconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var sections = new WorkflowReadDebug.Sections(
            WorkflowTasks: Rows(reader, 0),
            Activities: Rows(reader, 1),
            Failures: Rows(reader, 2),
            HistoryTail: Rows(reader, 3),
            LastEventPayload: reader.StringOrNull(4),
            NextTask: reader.JsonOrNull(5)!.AsObject(),
            QueueStats: JsonNode.Parse(reader.GetString(6))!.AsObject(),
            StaleAfterSeconds: settings.WorkerStaleAfterSeconds);
        return ApiResult<JsonObject>.Ok(WorkflowReadDebug.Build(run, sections, QueryParameters.Lenient(includeLastEventPayload), clock.GetUtcNow()));
    }

    private async Task<RunLookup> LoadRunAsync(string ns, string workflowId, string? runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {RunColumns}
              FROM workflow_instances i
              LEFT JOIN workflow_runs r ON r.workflow_instance_id = i.id AND r.id = COALESCE($2, i.current_run_id)
              {CompatibilityRouting.BlockedTaskLateral("r", "$4")}
             WHERE i.id = $1 AND i.namespace = $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workflowId });
        command.Parameters.Add(SqlValue.Text(runId));
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. settings.Compatibility.Supported] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new RunLookup(null, InstanceFound: false);
        }

        if (reader.IsDBNull(reader.GetOrdinal("id")))
        {
            return new RunLookup(null, InstanceFound: true);
        }

        return new RunLookup(ReadRun(reader), InstanceFound: true);
    }

    private static RunViewRow ReadRun(NpgsqlDataReader reader)
    {
        string? S(string column) => reader.StringOrNull(reader.GetOrdinal(column));
        DateTimeOffset? T(string column) => reader.TimeOrNull(reader.GetOrdinal(column));
        int? I(string column) => reader.Int32OrNull(reader.GetOrdinal(column));
        return new RunViewRow
        {
            Namespace = S("namespace")!,
            WorkflowId = S("workflow_instance_id")!,
            RunId = S("id")!,
            RunCount = I("run_count") ?? 0,
            CurrentRunId = S("current_run_id"),
            WorkflowType = S("workflow_type")!,
            BusinessKey = S("business_key"),
            Status = S("status")!,
            StatusBucket = S("status_bucket"),
            ClosedReason = S("closed_reason"),
            TaskQueue = S("task_queue")!,
            RunNumber = I("run_number") ?? 1,
            Compatibility = S("compatibility"),
            WorkflowDefinitionFingerprint = S("workflow_definition_fingerprint"),
            PayloadCodec = S("payload_codec")!,
            ExecutionTimeoutSeconds = I("execution_timeout_seconds"),
            RunTimeoutSeconds = I("run_timeout_seconds"),
            ExecutionDeadlineAt = T("execution_deadline_at"),
            RunDeadlineAt = T("run_deadline_at"),
            Arguments = Envelope(S("arguments")),
            Output = Envelope(S("output")),
            StartedAt = T("started_at"),
            ClosedAt = T("closed_at"),
            LastProgressAt = T("last_progress_at"),
            WaitKind = S("wait_kind"),
            WaitReason = S("wait_reason"),
            WaitStartedAt = T("wait_started_at"),
            Memo = JsonNode.Parse(S("memo")!)!,
            SearchAttributes = JsonNode.Parse(S("search_attributes")!)!,
            ArchivedAt = T("archived_at"),
            ArchiveCommandId = S("archive_command_id"),
            ArchiveReason = S("archive_reason"),
            LivenessState = S("liveness_state"),
            LivenessReason = S("liveness_reason"),
            RepairAttention = reader.GetBoolean(reader.GetOrdinal("repair_attention")),
            TaskProblem = reader.GetBoolean(reader.GetOrdinal("task_problem")),
            NextTaskId = S("next_task_id"),
            NextTaskType = S("next_task_type"),
            NextTaskStatus = S("next_task_status"),
            NextTaskAt = T("next_task_at"),
            LastHistorySequence = reader.GetInt64(reader.GetOrdinal("last_history_sequence")),
            HistorySizeBytes = reader.GetInt64(reader.GetOrdinal("history_size_bytes")),
            SortAt = T("sort_at")!.Value,
            UpdatedAt = T("updated_at")!.Value,
        };
    }

    private async Task<bool> RunExistsAsync(string ns, string workflowId, string runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT 1 FROM workflow_runs WHERE id = $1 AND workflow_instance_id = $2 AND namespace = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = workflowId });
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>ts-micro in SQL, for the sections the database assembles as JSON.</summary>
    private static string Micro(string column) =>
        $"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

    /// <summary>One query, so every section of the bundle comes from the same snapshot.</summary>
    private static readonly string ExportSectionsSql =
        $"""
        SELECT
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', e.id, 'sequence', e.sequence, 'type', e.event_type, 'workflow_task_id', e.workflow_task_id,
                    'workflow_command_id', e.workflow_command_id, 'recorded_at', {Micro("e.recorded_at")}, 'payload', e.payload)
                  ORDER BY e.sequence), '[]')::text
             FROM workflow_history_events e WHERE e.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', c.id, 'sequence', c.command_sequence, 'type', c.command_type, 'target_scope', c.target_scope,
                    'requested_run_id', c.requested_run_id, 'resolved_run_id', c.run_id, 'target_name', c.operation_name,
                    'payload_codec', c.payload_codec, 'payload', c.payload, 'source', c.source, 'context', c.context,
                    'request_id', c.request_id, 'status', c.status, 'outcome', c.outcome, 'rejection_reason', c.rejection_reason,
                    'reason', c.reason,
                    'accepted_at', CASE WHEN c.status = 'accepted' THEN {Micro("c.created_at")} END,
                    'applied_at', {Micro("c.applied_at")},
                    'rejected_at', CASE WHEN c.status = 'rejected' THEN {Micro("c.created_at")} END)
                  ORDER BY c.created_at, c.id), '[]')::text
             FROM workflow_commands c WHERE c.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', s.id, 'command_id', s.workflow_command_id, 'workflow_sequence', s.history_sequence,
                    'name', s.signal_name, 'signal_wait_id', s.signal_wait_id, 'status', s.status,
                    'received_at', {Micro("s.received_at")}, 'applied_at', {Micro("s.applied_at")},
                    'payload_codec', s.payload_codec, 'arguments', s.arguments)
                  ORDER BY s.received_at, s.id), '[]')::text
             FROM workflow_signals s WHERE s.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', u.id, 'command_id', u.workflow_command_id, 'workflow_sequence', u.workflow_sequence,
                    'name', u.update_name, 'request_id', u.request_id, 'status', u.status, 'failure_id', u.failure_id,
                    'failure', u.failure, 'validation_errors', u.validation_errors,
                    'accepted_at', {Micro("u.accepted_at")}, 'applied_at', {Micro("u.applied_at")},
                    'rejected_at', {Micro("u.rejected_at")}, 'closed_at', {Micro("u.closed_at")},
                    'payload_codec', u.payload_codec, 'arguments', u.arguments, 'result', u.result)
                  ORDER BY u.created_at, u.id), '[]')::text
             FROM workflow_updates u WHERE u.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', t.id, 'type', t.task_type, 'status', t.status, 'payload', t.resume_context, 'queue', t.task_queue,
                    'compatibility', t.compatibility, 'attempt_count', t.attempt_count, 'repair_count', t.repair_count,
                    'available_at', {Micro("t.available_at")}, 'leased_at', {Micro("t.leased_at")}, 'lease_owner', t.lease_owner,
                    'lease_expires_at', {Micro("t.lease_expires_at")},
                    'last_dispatch_attempt_at', {Micro("t.last_dispatch_attempt_at")},
                    'last_dispatched_at', {Micro("t.last_dispatched_at")}, 'last_dispatch_error', t.last_dispatch_error,
                    'last_claim_failed_at', {Micro("t.last_claim_failed_at")}, 'last_claim_error', t.last_claim_error,
                    'repair_available_at', {Micro("t.repair_available_at")}, 'created_at', {Micro("t.created_at")})
                  ORDER BY t.created_at, t.id), '[]')::text
             FROM workflow_tasks t WHERE t.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', a.id, 'sequence', a.sequence, 'activity_type', a.activity_type, 'payload_codec', a.payload_codec,
                    'status', a.status, 'queue', a.task_queue, 'attempt_count', a.attempt_count, 'max_attempts', a.max_attempts,
                    'current_attempt_id', a.current_attempt_id, 'retry_policy', a.retry_policy, 'arguments', a.arguments,
                    'result', a.result, 'failure_id', a.failure_id, 'started_at', {Micro("a.started_at")},
                    'last_heartbeat_at', {Micro("a.last_heartbeat_at")}, 'closed_at', {Micro("a.closed_at")},
                    'created_at', {Micro("a.created_at")})
                  ORDER BY a.sequence), '[]')::text
             FROM workflow_activity_executions a WHERE a.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', tm.id, 'sequence', tm.sequence, 'timer_kind', tm.timer_kind, 'condition_wait_id', tm.condition_wait_id,
                    'signal_wait_id', tm.signal_wait_id, 'delay_seconds', tm.delay_seconds, 'fire_at', {Micro("tm.fire_at")},
                    'status', tm.status, 'fired_at', {Micro("tm.fired_at")}, 'cancelled_at', {Micro("tm.cancelled_at")})
                  ORDER BY tm.sequence, tm.id), '[]')::text
             FROM workflow_timers tm WHERE tm.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', f.id, 'source_kind', f.source_kind, 'source_id', f.source_id, 'propagation_kind', f.propagation_kind,
                    'failure_category', f.failure_category, 'exception_type', f.exception_type,
                    'exception_class', f.exception_class, 'message', f.message, 'exception', f.exception,
                    'non_retryable', f.non_retryable, 'handled', f.handled, 'created_at', {Micro("f.created_at")})
                  ORDER BY f.created_at, f.id), '[]')::text
             FROM workflow_failures f WHERE f.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', w.id, 'kind', w.wait_kind, 'sequence', w.sequence, 'status', w.status,
                    'condition_key', w.condition_key, 'condition_definition_fingerprint', w.condition_definition_fingerprint,
                    'signal_name', w.signal_name, 'timeout_seconds', w.timeout_seconds, 'timer_id', w.timer_id,
                    'satisfied_by_signal_id', w.satisfied_by_signal_id, 'opened_at', {Micro("w.opened_at")},
                    'resolved_at', {Micro("w.resolved_at")})
                  ORDER BY w.sequence, w.id), '[]')::text
             FROM workflow_waits w WHERE w.run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', l.id, 'link_type', l.link_type, 'parent_workflow_instance_id', l.parent_workflow_instance_id,
                    'parent_workflow_run_id', l.parent_workflow_run_id, 'parent_sequence', l.parent_sequence,
                    'child_call_id', l.child_call_id, 'status', l.status, 'created_at', {Micro("l.created_at")})
                  ORDER BY l.created_at, l.id), '[]')::text
             FROM workflow_links l WHERE l.child_workflow_run_id = $1),
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', l.id, 'link_type', l.link_type, 'child_workflow_instance_id', l.child_workflow_instance_id,
                    'child_workflow_run_id', l.child_workflow_run_id, 'parent_sequence', l.parent_sequence,
                    'child_call_id', l.child_call_id, 'parent_close_policy', l.parent_close_policy, 'status', l.status,
                    'child_status', l.child_status, 'resolved_at', {Micro("l.resolved_at")},
                    'created_at', {Micro("l.created_at")})
                  ORDER BY l.created_at, l.id), '[]')::text
             FROM workflow_links l WHERE l.parent_workflow_run_id = $1)
        """;

    /// <summary>
    /// Open work of the run (first 25 of each kind), its latest failures, the tail of its history with the last event's
    /// payload, its next scheduled task, and the run's queue counts. $1 run, $2 namespace, $3 queue, $4 worker staleness window in seconds.
    /// </summary>
    private static readonly string DebugSectionsSql =
        $"""
        SELECT
          (SELECT coalesce(jsonb_agg(x.task ORDER BY x.created_at, x.id), '[]')::text FROM (
             SELECT t.id, t.created_at, jsonb_build_object(
                      'task_id', t.id, 'task_type', t.task_type, 'status', t.status, 'queue', t.task_queue,
                      'compatibility', t.compatibility, 'available_at', {Micro("t.available_at")},
                      'leased_at', {Micro("t.leased_at")}, 'lease_owner', t.lease_owner,
                      'lease_expires_at', {Micro("t.lease_expires_at")},
                      'lease_expired', coalesce(t.status = 'leased' AND t.lease_expires_at <= now(), false),
                      'attempt_count', t.attempt_count, 'repair_count', t.repair_count,
                      'dispatch_failed', t.last_dispatch_error IS NOT NULL, 'claim_failed', t.last_claim_error IS NOT NULL,
                      'last_error', t.last_error, 'last_dispatch_error', t.last_dispatch_error,
                      'last_claim_error', t.last_claim_error, 'repair_available_at', {Micro("t.repair_available_at")},
                      'workflow_wait_kind', t.resume_context->'workflow_wait_kind',
                      'workflow_open_wait_id', t.resume_context->'open_wait_id',
                      'workflow_resume_source_kind', t.resume_context->'resume_source_kind',
                      'workflow_resume_source_id', t.resume_context->'resume_source_id') AS task
               FROM workflow_tasks t
              WHERE t.run_id = $1 AND t.task_type = 'workflow' AND t.status IN ('ready', 'leased')
              ORDER BY t.created_at, t.id
              LIMIT {DebugTaskLimit}) x),
          (SELECT coalesce(jsonb_agg(x.activity ORDER BY x.sequence), '[]')::text FROM (
             SELECT a.sequence, jsonb_build_object(
                      'activity_execution_id', a.id, 'activity_type', a.activity_type, 'status', a.status,
                      'queue', a.task_queue, 'attempt_count', a.attempt_count, 'current_attempt_id', a.current_attempt_id,
                      'started_at', {Micro("a.started_at")}, 'last_heartbeat_at', {Micro("a.last_heartbeat_at")},
                      'schedule_deadline_at', {Micro("a.schedule_deadline_at")},
                      'close_deadline_at', {Micro("a.close_deadline_at")},
                      'schedule_to_close_deadline_at', {Micro("a.schedule_to_close_deadline_at")},
                      'heartbeat_deadline_at', {Micro("a.heartbeat_deadline_at")},
                      'current_attempt', (SELECT jsonb_build_object(
                          'attempt_id', at.id, 'attempt_number', at.attempt_number, 'status', at.status,
                          'lease_owner', at.lease_owner, 'lease_expires_at', {Micro("at.lease_expires_at")},
                          'started_at', {Micro("at.started_at")})
                        FROM workflow_activity_attempts at WHERE at.id = a.current_attempt_id)) AS activity
               FROM workflow_activity_executions a
              WHERE a.run_id = $1 AND a.status IN ('pending', 'running')
              ORDER BY a.sequence
              LIMIT {DebugTaskLimit}) x),
          (SELECT coalesce(jsonb_agg(x.failure ORDER BY x.created_at DESC, x.id DESC), '[]')::text FROM (
             SELECT f.id, f.created_at, jsonb_build_object(
                      'failure_id', f.id, 'source_kind', f.source_kind, 'source_id', f.source_id,
                      'propagation_kind', f.propagation_kind, 'failure_category', f.failure_category,
                      'exception_class', f.exception_class, 'message', f.message, 'non_retryable', f.non_retryable,
                      'handled', f.handled, 'created_at', {Micro("f.created_at")}) AS failure
               FROM workflow_failures f
              WHERE f.run_id = $1
              ORDER BY f.created_at DESC, f.id DESC
              LIMIT {DebugFailureLimit}) x),
          (SELECT coalesce(jsonb_agg(x.event ORDER BY x.sequence), '[]')::text FROM (
             SELECT e.sequence, jsonb_build_object('sequence', e.sequence, 'event_type', e.event_type,
                      'timestamp', {Micro("e.recorded_at")}) AS event
               FROM workflow_history_events e WHERE e.run_id = $1 ORDER BY e.sequence DESC LIMIT {DebugHistoryTail}) x),
          (SELECT e.payload::text FROM workflow_history_events e WHERE e.run_id = $1 ORDER BY e.sequence DESC LIMIT 1),
          (SELECT jsonb_build_object('task_id', t.id, 'task_type', t.task_type, 'task_status', t.status,
                    'available_at', {Micro("t.available_at")}, 'lease_expires_at', {Micro("t.lease_expires_at")})::text
             FROM workflow_tasks t WHERE t.run_id = $1 AND t.status IN ('ready', 'leased')
             ORDER BY t.available_at, t.id LIMIT 1),
          (SELECT jsonb_build_object(
                    'workflow_tasks', jsonb_build_object(
                        'ready_count', count(*) FILTER (WHERE q.task_type = 'workflow' AND q.status = 'ready'),
                        'leased_count', count(*) FILTER (WHERE q.task_type = 'workflow' AND q.status = 'leased'),
                        'expired_lease_count', count(*) FILTER (WHERE q.task_type = 'workflow' AND q.status = 'leased'
                                                                      AND q.lease_expires_at <= now())),
                    'activity_tasks', jsonb_build_object(
                        'ready_count', count(*) FILTER (WHERE q.task_type = 'activity' AND q.status = 'ready'),
                        'leased_count', count(*) FILTER (WHERE q.task_type = 'activity' AND q.status = 'leased'),
                        'expired_lease_count', count(*) FILTER (WHERE q.task_type = 'activity' AND q.status = 'leased'
                                                                      AND q.lease_expires_at <= now())),
                    'pollers', (SELECT jsonb_build_object(
                        'active_count', count(*) FILTER (WHERE w.last_heartbeat_at >= now() - make_interval(secs => $4)),
                        'stale_count', count(*) FILTER (WHERE w.last_heartbeat_at IS NULL
                                                           OR w.last_heartbeat_at < now() - make_interval(secs => $4)))
                      FROM workflow_worker_registrations w WHERE w.namespace = $2 AND w.task_queue = $3))::text
             FROM workflow_tasks q
            WHERE q.namespace = $2 AND q.task_queue = $3 AND q.task_type IN ('workflow', 'activity')
              AND q.status IN ('ready', 'leased'))
        """;

    private static ApiError InstanceNotFound() => new(404, "instance_not_found", "Workflow not found.");

    private static ApiError RunNotFound(string workflowId, string runId) =>
        new ApiError(404, "run_not_found", "Workflow run not found.")
            .With("workflow_id", workflowId)
            .With("run_id", runId);

    /// <summary>Describe/debug answers: an unknown workflow (or one without a current run) is instance_not_found.</summary>
    private static ApiError RunMiss(RunLookup lookup, string workflowId, string? runId) =>
        runId is not null && lookup.InstanceFound ? RunNotFound(workflowId, runId) : InstanceNotFound();

    /// <summary>
    /// The SQL condition of a visibility predicate query, or null for a plain substring term (see
    /// <see cref="VisibilityQuery"/>). Throws <see cref="InvalidVisibilityQueryException"/> for a malformed query.
    /// </summary>
    private async Task<string?> QueryConditionAsync(string ns, string query, List<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        if (query.Length > VisibilityParser.MaxLength)
        {
            throw new InvalidVisibilityQueryException($"The query must not be longer than {VisibilityParser.MaxLength} characters.", VisibilityParser.MaxLength);
        }

        if (!VisibilityQuery.IsPredicate(query))
        {
            return null;
        }

        var expression = VisibilityParser.Parse(query);
        var custom = VisibilitySqlBuilder.AttributeNames(expression).Where(n => !SearchAttributeTypes.IsSystem(n)).ToList();
        var types = await searchAttributes.TypesAsync(ns, custom, cancellationToken);
        return new VisibilitySqlBuilder(types, parameters, "$1").Build(expression);
    }

    /// <summary>Contains-pattern for ILIKE with the term's own wildcards escaped, so <c>_</c> and <c>%</c> match literally.</summary>
    private static string LikeContains(string term) =>
        "%" + term.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static JsonArray Rows(NpgsqlDataReader reader, int ordinal) => JsonNode.Parse(reader.GetString(ordinal))!.AsArray();

    /// <summary>A stored payload column: the wire envelope verbatim, or null when the run has none.</summary>
    private static PayloadEnvelope? Envelope(string? json) =>
        json is not null && PayloadEnvelope.TryParseEnvelope(JsonNode.Parse(json), out var envelope) ? envelope : null;

    private sealed record RunLookup(RunViewRow? Run, bool InstanceFound);
}
