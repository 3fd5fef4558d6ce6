using System.Globalization;
using System.Text.Json;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Repair;
using DurableWorkflow.Core.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Scheduling.Passes;

/// <summary>
/// The task repair pass (rollout contract §8.3–8.4) and its admin routes (control-plane §10.4). In the tick it respects
/// the loop throttle and every transaction proves the scheduler lease first; the admin route forces a pass. Each
/// candidate is repaired in its own transaction under its run lock, so concurrent passes and the poll path never
/// produce a second open task, and a failing candidate does not stop the others.
/// </summary>
public sealed class TaskRepairPass(
    NpgsqlDataSource dataSource,
    WakeBus wakeBus,
    ServerSettings settings,
    FleetSnapshotReader scanner,
    TimeProvider clock,
    ILogger<TaskRepairPass> logger) : ISchedulerPass
{
    private long lastTickPassAt = long.MinValue;

    public string Name => "task_repair";

    public TaskRepairPolicy Policy { get; } = TaskRepairPolicy.From(settings);

    public async Task<string> RunAsync(SchedulerFence fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fence);

        // The tick runs every second; within this node's own throttle window the shared key would refuse anyway, so the
        // database is not asked (the key still rules across nodes).
        var started = clock.GetTimestamp();
        if (lastTickPassAt != long.MinValue && clock.GetElapsedTime(lastTickPassAt, started) < TimeSpan.FromSeconds(Policy.LoopThrottleSeconds))
        {
            return "throttled";
        }

        var report = await RunPassAsync(new TaskRepairRequest(RespectThrottle: true), fence, cancellationToken);
        lastTickPassAt = started;
        return report.Throttled
            ? "throttled"
            : string.Create(CultureInfo.InvariantCulture,
                $"repaired {report.RepairedExistingTasks} existing, {report.RepairedMissingTasks} missing, {report.ExistingTaskFailures.Count + report.MissingRunFailures.Count} failed");
    }

    /// <summary><c>GET /api/system/repair</c>: the policy and the global candidate scan.</summary>
    public Task<TaskRepairSnapshot> StatusAsync(CancellationToken cancellationToken) => scanner.ReadRepairAsync(cancellationToken);

    /// <summary><c>POST /api/system/repair/pass</c>: a forced pass, optionally narrowed to runs or an instance; 207 on any failure.</summary>
    public async Task<ApiResult<TaskRepairReport>> PassAsync(JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var runIds = SystemPassRequest.Ids(body, v, "run_ids");
        var instanceId = v.String("instance_id", maxLength: 128);
        if (instanceId is { Length: 0 })
        {
            v.AddError("instance_id", "The instance_id field must be a string of 1 to 128 characters.");
        }

        if (!v.IsValid)
        {
            return v.ToError();
        }

        var report = await RunPassAsync(new TaskRepairRequest(RespectThrottle: false, runIds, instanceId), null, cancellationToken);
        return ApiResult<TaskRepairReport>.Ok(report, report.HasFailures ? 207 : 200);
    }

    /// <summary>One pass. With a <paramref name="fence"/>, a pass whose lease is gone stops with <see cref="SchedulerLeaseLostException"/> and writes nothing more.</summary>
    public async Task<TaskRepairReport> RunPassAsync(TaskRepairRequest request, SchedulerFence? fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var empty = new TaskRepairReport { RunIds = request.RunIds ?? [], InstanceId = request.InstanceId, RespectThrottle = request.RespectThrottle };
        if (!await TaskRepairStore.TablesPresentAsync(dataSource, cancellationToken))
        {
            PassLog.RepairTablesMissing(logger);
            return empty;
        }

        await using (var tx = await BeginAsync(fence, cancellationToken))
        {
            if (!await TaskRepairStore.TryEnterAsync(tx, settings.ServerId, Policy.LoopThrottleSeconds, request.RespectThrottle, cancellationToken))
            {
                PassLog.RepairThrottled(logger);
                return empty with { Throttled = true };
            }

            await TaskRepairStore.ProjectAsync(tx, Policy.RedispatchAfterSeconds, cancellationToken);
            await TaskRepairStore.PurgeRecoveryLocksAsync(tx, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        var existing = await TaskRepairStore.SelectExistingAsync(
            dataSource, Policy.RedispatchAfterSeconds, request.RunIds, request.InstanceId, Policy.ScanLimit, cancellationToken);
        var missing = await TaskRepairStore.SelectMissingAsync(
            dataSource, Policy.RedispatchAfterSeconds, request.RunIds, request.InstanceId, Policy.ScanLimit, cancellationToken);

        int repairedExisting = 0, repairedMissing = 0, dispatched = 0, created = 0;
        IReadOnlySet<string> restamped;
        await using (var tx = await BeginAsync(fence, cancellationToken))
        {
            restamped = await TaskRepairStore.RestampReadyAsync(tx, [.. existing.Select(c => c.TaskId)], Policy.RedispatchAfterSeconds, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        repairedExisting += restamped.Count;
        dispatched += restamped.Count;
        var existingFailures = new List<RepairCandidateFailure>();
        foreach (var (taskId, runId) in existing.Where(c => !restamped.Contains(c.TaskId)))
        {
            try
            {
                await using var tx = await BeginAsync(fence, cancellationToken);
                var outcome = await TaskRepairStore.RepairExistingAsync(tx, taskId, runId, Policy.RedispatchAfterSeconds, cancellationToken);
                await tx.CommitAsync(cancellationToken);
                if (outcome == ExistingRepairOutcome.Repaired)
                {
                    repairedExisting++;
                    dispatched++;
                }
                else if (outcome == ExistingRepairOutcome.Settled)
                {
                    repairedExisting++;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                PassLog.RepairTaskFailed(logger, ex, taskId);
                existingFailures.Add(new RepairCandidateFailure(taskId, ex.Message));
                await TaskRows.RecordRepairErrorAsync(dataSource, taskId, ex.Message, cancellationToken);
            }
        }

        var missingFailures = new List<RepairRunFailure>();
        foreach (var runId in missing)
        {
            try
            {
                await using var tx = await BeginAsync(fence, cancellationToken);
                var count = await TaskRepairStore.RepairMissingAsync(tx, runId, Policy.RedispatchAfterSeconds, cancellationToken);
                await tx.CommitAsync(cancellationToken);
                if (count > 0)
                {
                    repairedMissing++;
                    created += count;
                    dispatched += count;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                PassLog.RepairRunFailed(logger, ex, runId);
                missingFailures.Add(new RepairRunFailure(runId, ex.Message));
            }
        }

        // The tick runs a pass every throttle window: an idle pass is not worth an information line each time.
        if (existing.Count + missing.Count > 0)
        {
            PassLog.RepairPass(logger, existing.Count, missing.Count, repairedExisting, created, existingFailures.Count + missingFailures.Count);
        }
        else
        {
            PassLog.RepairPassIdle(logger);
        }
        return empty with
        {
            SelectedExistingTaskCandidates = existing.Count,
            SelectedMissingTaskCandidates = missing.Count,
            RepairedExistingTasks = repairedExisting,
            RepairedMissingTasks = repairedMissing,
            DispatchedTasks = dispatched,
            ExistingTaskFailures = existingFailures,
            MissingRunFailures = missingFailures,
        };
    }

    private async Task<EngineTransaction> BeginAsync(SchedulerFence? fence, CancellationToken cancellationToken)
    {
        var tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
        if (fence is not null)
        {
            try
            {
                await fence.EnsureAsync(tx, cancellationToken);
            }
            catch
            {
                await tx.DisposeAsync();
                throw;
            }
        }

        return tx;
    }
}

/// <summary>What one repair pass covers: the whole server, or only the listed runs or one instance.</summary>
public sealed record TaskRepairRequest(bool RespectThrottle, IReadOnlyList<string>? RunIds = null, string? InstanceId = null);
