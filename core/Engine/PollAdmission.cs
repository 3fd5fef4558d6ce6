using System.Security.Cryptography;
using System.Text;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workers;

namespace DurableWorkflow.Core.Engine;

/// <summary>A poll whose common fields are valid and whose worker passed registration admission.</summary>
public sealed record AdmittedPoll(WorkerRegistration Worker, PollKind Kind, string? PollRequestId, int? TimeoutSeconds)
{
    /// <summary>
    /// The <c>workflow_poll_requests</c> key of this poll, or null without a <c>poll_request_id</c>. Hashed because the
    /// natural key (namespace, kind, queue, build, worker, request id) can exceed a btree row (docs/schema.md §6.5).
    /// </summary>
    public byte[]? RequestKey(string ns) => PollRequestId is null
        ? null
        : SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(
            '\u0001', ns, TaskKind, Worker.TaskQueue, MatchedBuildId ?? string.Empty, Worker.WorkerId, PollRequestId)));

    /// <summary>The <c>task_kind</c> column value of this poll's idempotency record.</summary>
    public string TaskKind => Kind switch
    {
        PollKind.Workflow => "workflow",
        PollKind.Activity => "activity",
        _ => "query",
    };

    /// <summary>Queries are read-only, so any compatible replayer may answer them whatever its build.</summary>
    private string? MatchedBuildId => Kind == PollKind.Query ? null : Worker.MatchingBuildId;
}

/// <summary>The fields every task poll shares (worker-protocol spec §3.1.1, §4.1, §5.2) and registration admission (§2.4).</summary>
public static class PollAdmission
{
    /// <summary>
    /// Reads <c>worker_id</c>, <c>task_queue</c>, <c>build_id</c>, <c>poll_request_id</c> and <c>timeout_seconds</c>
    /// into <paramref name="fields"/> (which may already hold kind-specific fields), answers 422 if any field is bad,
    /// then admits the worker, reading its registration in the poll's first claim transaction.
    /// </summary>
    public static async Task<ApiResult<AdmittedPoll>> AdmitAsync(
        WorkerRegistry registry, PollTransactions transactions, string ns, RequestValidator fields, PollKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(transactions);
        ArgumentNullException.ThrowIfNull(fields);
        var workerId = fields.String("worker_id", required: true, maxLength: 255);
        var queue = fields.String("task_queue", required: true, maxLength: 255);
        var buildId = fields.String("build_id", maxLength: 255);
        var pollRequestId = fields.String("poll_request_id", maxLength: 255);
        var timeout = fields.Integer("timeout_seconds", min: 0, max: int.MaxValue);
        if (!fields.IsValid)
        {
            return fields.ToError();
        }

        var tx = await transactions.BeginFirstAsync(cancellationToken);
        var admission = await registry.AdmitPollAsync(tx, ns, workerId!, queue!, kind == PollKind.Query ? null : buildId, kind, cancellationToken);
        return admission.Error is { } refused
            ? refused
            : ApiResult<AdmittedPoll>.Ok(new AdmittedPoll(admission.Value!, kind, pollRequestId, timeout));
    }
}
