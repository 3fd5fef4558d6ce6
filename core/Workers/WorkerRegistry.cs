using System.Text.Json;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Scheduling.Passes;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Workers;

/// <summary>
/// Worker lifecycle (worker protocol §2), poll admission (§2.4) and the workers management API (control plane §7).
/// </summary>
public sealed class WorkerRegistry(
    WorkerRegistrationRepository repository,
    ServerSettings settings,
    TimeProvider clock,
    ILogger<WorkerRegistry> logger,
    WakeBus? wakeBus = null,
    HistoryRetentionPass? retention = null)
{
    public int HeartbeatIntervalSeconds => settings.WorkerHeartbeatIntervalSeconds;

    public int StaleAfterSeconds => settings.WorkerStaleAfterSeconds;

    public async Task<ApiResult<WorkerRegisteredResponse>> RegisterAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var parsed = WorkerRequestReader.ReadRegistration(body);
        if (parsed.Error is { } invalid)
        {
            return invalid;
        }

        var request = parsed.Value!;
        var workerId = request.WorkerId ?? Ulid.Create(clock.GetUtcNow());
        var outcome = await repository.RegisterAsync(ns, workerId, request, cancellationToken);
        if (outcome.ChangedWorkflowType is { } changed)
        {
            return WorkerErrors.DefinitionChanged(workerId, changed);
        }

        var registration = outcome.Registration!;
        return ApiResult<WorkerRegisteredResponse>.Ok(
            new WorkerRegisteredResponse
            {
                WorkerId = registration.WorkerId,
                TaskQueue = registration.TaskQueue,
                Runtime = registration.Runtime,
                BuildId = registration.BuildId,
                Status = registration.Status,
                HeartbeatIntervalSeconds = HeartbeatIntervalSeconds,
                StaleAfterSeconds = StaleAfterSeconds,
            },
            201);
    }

    public async Task<ApiResult<WorkerHeartbeatResponse>> HeartbeatAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var parsed = WorkerRequestReader.ReadHeartbeat(body);
        if (parsed.Error is { } invalid)
        {
            return invalid;
        }

        var request = parsed.Value!;
        var registration = await repository.HeartbeatAsync(ns, request.WorkerId, request.Telemetry, cancellationToken);
        if (registration is null)
        {
            return WorkerErrors.NotRegistered(request.WorkerId);
        }

        await RunInlineRetentionAsync(ns, cancellationToken);
        return ApiResult<WorkerHeartbeatResponse>.Ok(new WorkerHeartbeatResponse
        {
            WorkerId = registration.WorkerId,
            Status = registration.Status,
            HeartbeatIntervalSeconds = HeartbeatIntervalSeconds,
            StaleAfterSeconds = StaleAfterSeconds,
        });
    }

    /// <summary>
    /// The inline retention pass of rollout contract §9.10 (at most one run, at most once per 60 s per namespace). The
    /// heartbeat is already recorded, so a database error here is logged and never fails the heartbeat.
    /// </summary>
    private async Task RunInlineRetentionAsync(string ns, CancellationToken cancellationToken)
    {
        if (retention is null)
        {
            return;
        }

        try
        {
            await retention.RunInlineAsync(ns, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            PassLog.InlineRetentionFailed(logger, ex, ns);
        }
    }

    /// <summary>Worker-plane deregistration: returns the worker's leased workflow tasks to ready and wakes their queues.</summary>
    public async Task<ApiResult<WorkerDeregisteredResponse>> DeregisterAsync(string ns, string workerId, CancellationToken cancellationToken)
    {
        var outcome = await repository.DeregisterAsync(ns, workerId, cancellationToken);
        if (outcome is null)
        {
            return WorkerErrors.NotFound(ns, workerId);
        }

        if (outcome.RecoveredWorkflowTaskCount > 0)
        {
            EngineLog.WorkerLeasesReleased(logger, workerId, ns, outcome.RecoveredWorkflowTaskCount);
        }

        if (wakeBus is not null && outcome.RecoveredTaskQueues.Count > 0)
        {
            // Each queue is signalled for as many tasks as came back in all, so enough parked polls wake on any of them.
            wakeBus.Publish([.. outcome.RecoveredTaskQueues.Select(q => KeyValuePair.Create(WakeChannels.WorkflowTasks(ns, q), outcome.RecoveredWorkflowTaskCount))]);
        }

        return ApiResult<WorkerDeregisteredResponse>.Ok(
            new WorkerDeregisteredResponse(workerId, "deregistered", outcome.RecoveredWorkflowTaskCount));
    }

    /// <summary>
    /// The registration gate every poll passes first (worker protocol §2.4), in the spec's order: registered, same
    /// queue, no conflicting build id (workflow/activity), not draining (workflow/activity, rollout contract §14.1
    /// item 18). Query polls of a draining worker are admitted: answering a query claims no workflow progress, and a
    /// drained cohort may be the only one able to replay its pinned runs. On success the registration is returned;
    /// its <see cref="WorkerRegistration.MatchingBuildId"/> is the marker to match with, whatever the poll sent.
    /// </summary>
    public async Task<ApiResult<WorkerRegistration>> AdmitPollAsync(
        string ns,
        string workerId,
        string taskQueue,
        string? buildId,
        PollKind kind,
        CancellationToken cancellationToken)
    {
        var registration = await repository.FindForPollAsync(ns, workerId, cancellationToken);
        return Admit(registration, workerId, taskQueue, buildId, kind);
    }

    /// <summary>
    /// <see cref="AdmitPollAsync(string, string, string, string?, PollKind, CancellationToken)"/> with the lookup as the
    /// first statement of <paramref name="tx"/>, the poll's first claim transaction: same lookup, same answers.
    /// </summary>
    public async Task<ApiResult<WorkerRegistration>> AdmitPollAsync(
        EngineTransaction tx,
        string ns,
        string workerId,
        string taskQueue,
        string? buildId,
        PollKind kind,
        CancellationToken cancellationToken)
    {
        var registration = await WorkerRegistrationRepository.FindForPollAsync(tx, ns, workerId, cancellationToken);
        return Admit(registration, workerId, taskQueue, buildId, kind);
    }

    private static ApiResult<WorkerRegistration> Admit(WorkerRegistration? registration, string workerId, string taskQueue, string? buildId, PollKind kind)
    {
        if (registration is null)
        {
            return WorkerErrors.NotRegisteredForPoll(workerId);
        }

        if (!string.Equals(registration.TaskQueue, taskQueue, StringComparison.Ordinal))
        {
            return WorkerErrors.TaskQueueMismatch(workerId, registration.TaskQueue, taskQueue);
        }

        if (kind == PollKind.Query)
        {
            return ApiResult<WorkerRegistration>.Ok(registration);
        }

        if (registration.MatchingBuildId is { } registered
            && !string.IsNullOrWhiteSpace(buildId)
            && !string.Equals(registered, buildId.Trim(), StringComparison.Ordinal))
        {
            return WorkerErrors.BuildIdMismatch(workerId, registered, buildId);
        }

        if (registration.IsDraining)
        {
            return WorkerErrors.Draining(registration);
        }

        return ApiResult<WorkerRegistration>.Ok(registration);
    }

    /// <summary><c>GET /api/workers</c>; <paramref name="status"/> filters on the stored status, so <c>stale</c> never matches.</summary>
    public async Task<WorkerListResponse> ListAsync(string ns, string? taskQueue, string? status, CancellationToken cancellationToken)
    {
        var registrations = await repository.ListAsync(ns, Blank(taskQueue), Blank(status), StaleAfterSeconds, cancellationToken);
        return new WorkerListResponse(ns, StaleAfterSeconds, [.. registrations.Select(r => WorkerView.From(r, withUpdatedAt: false))]);
    }

    public async Task<ApiResult<WorkerView>> DescribeAsync(string ns, string workerId, CancellationToken cancellationToken)
    {
        var registration = await repository.FindAsync(ns, workerId, StaleAfterSeconds, cancellationToken);
        return registration is null
            ? WorkerErrors.NotFound(ns, workerId)
            : ApiResult<WorkerView>.Ok(WorkerView.From(registration, withUpdatedAt: true));
    }

    /// <summary><c>DELETE /api/workers/{workerId}</c> (admin): removes the registration row only.</summary>
    public async Task<ApiResult<WorkerDeletedResponse>> DeleteAsync(string ns, string workerId, CancellationToken cancellationToken) =>
        await repository.DeleteAsync(ns, workerId, cancellationToken)
            ? ApiResult<WorkerDeletedResponse>.Ok(new WorkerDeletedResponse(workerId, "deregistered"))
            : WorkerErrors.NotFound(ns, workerId);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
