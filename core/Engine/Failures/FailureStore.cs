using System.Text.Json.Nodes;
using DurableWorkflow.Core.Storage;

namespace DurableWorkflow.Core.Engine.Failures;

/// <summary>One <c>workflow_failures</c> row: what failed (<see cref="SourceKind"/>, <see cref="SourceId"/>) and how.</summary>
public sealed record NewFailure
{
    public string Id { get; init; } = Ulid.NewId();

    public required string Namespace { get; init; }

    public required string RunId { get; init; }

    /// <summary><c>workflow_run</c> or <c>activity_execution</c>.</summary>
    public required string SourceKind { get; init; }

    public required string SourceId { get; init; }

    public string? PropagationKind { get; init; }

    public required string Category { get; init; }

    public string? ExceptionType { get; init; }

    public string? ExceptionClass { get; init; }

    public string? Message { get; init; }

    public JsonObject? Exception { get; init; }

    public bool NonRetryable { get; init; }
}

/// <summary>
/// Every write of <c>workflow_failures</c> (docs/schema.md §3): the failure records of failed, cancelled, terminated
/// and timed-out runs and of activities. Callers pass their own transaction.
/// </summary>
public static class FailureStore
{
    /// <summary>Inserts the failure; returns its id.</summary>
    public static async Task<string> InsertAsync(EngineTransaction tx, NewFailure failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(failure);
        await using var insert = tx.Command(
            """
            INSERT INTO workflow_failures (id, namespace, run_id, source_kind, source_id, propagation_kind, failure_category,
                                           exception_type, exception_class, message, exception, non_retryable)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)
            """,
            failure.Id, failure.Namespace, failure.RunId, failure.SourceKind, failure.SourceId, SqlValue.Text(failure.PropagationKind),
            failure.Category, SqlValue.Text(failure.ExceptionType), SqlValue.Text(failure.ExceptionClass), SqlValue.Text(failure.Message),
            SqlValue.Json(failure.Exception), failure.NonRetryable);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return failure.Id;
    }
}
