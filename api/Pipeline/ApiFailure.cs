using System.Net.Sockets;
using DurableWorkflow.Core.Http;
using Npgsql;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>
/// The answer for an exception no handler turned into an envelope: a database outage is 503 with a reason and a
/// retry hint (clients retry it and nothing was written), anything else a 500 that names no internals.
/// </summary>
public static class ApiFailure
{
    public const string InternalErrorReason = "internal_error";
    public const string DatabaseUnavailableReason = "database_unavailable";

    /// <summary>Seconds a client should wait before retrying after a database outage.</summary>
    public const int RetryAfterSeconds = 2;

    public static ApiError InternalError() =>
        new(500, InternalErrorReason, "The server failed to handle the request; nothing was changed. Retry later or contact the operator.");

    public static ApiError DatabaseUnavailable() =>
        new ApiError(503, DatabaseUnavailableReason, "The database is unavailable; nothing was changed. Retry the request shortly.")
            .With("retry_after_seconds", RetryAfterSeconds);

    /// <summary>
    /// The answer when PostgreSQL aborted the transaction for a reason a retry clears: it was rolled back, so nothing
    /// changed, and the envelope is the outage's (same reason and retry hint) for clients that already retry it.
    /// </summary>
    public static ApiError TransientAbort() =>
        new ApiError(503, DatabaseUnavailableReason, "The database aborted the transaction under contention (a deadlock, a serialization failure or a lock or statement timeout); nothing was changed. Retry the request shortly.")
            .With("retry_after_seconds", RetryAfterSeconds);

    /// <summary>
    /// True when PostgreSQL aborted the statement's transaction for a reason of the moment rather than of the request:
    /// a deadlock or serialization failure (class 40), a lock timeout (55P03) or a statement timeout (57014).
    /// </summary>
    public static bool IsTransientAbort(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return postgres.SqlState.StartsWith("40", StringComparison.Ordinal) || postgres.SqlState is "55P03" or "57014";
            }
        }

        return false;
    }

    /// <summary>
    /// True when PostgreSQL could not be reached or refused the session (shutdown, starting up, too many clients,
    /// connection failures) or the pool timed out waiting for a connection — not for errors a query itself caused.
    /// </summary>
    public static bool IsDatabaseOutage(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300"
                        || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);
                case NpgsqlException when current.InnerException is SocketException or IOException or TimeoutException:
                    return true;
            }
        }

        return false;
    }
}
