using DurableWorkflow.Core.Storage;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// Owner of <c>workflow_poll_requests</c> (worker-protocol spec §3.1.1): a poll with a <c>poll_request_id</c> takes its
/// key in its first claim's transaction when that claim finds a task, or else reserves the key in that same transaction
/// before it parks; it records the task it leased in the claim's own transaction, or records that it ended empty.
/// A duplicate of a reserved key never claims; it waits for the holder's answer. Reservations carry an expiry (hold +
/// grace), so a key whose holder's node died becomes usable again without any cleanup.
/// </summary>
public static class PollRequestStore
{
    /// <summary>How long a retried poll may still fetch an empty answer, and a replayable lease outlives its row.</summary>
    private const int AnswerKeptSeconds = 5;

    private const int PurgeBatch = 500;

    /// <summary>
    /// Reserves the key for this poll: a new key, or one whose previous reservation or answer expired. False when
    /// another poll holds the key or its answer is still current; the caller then follows that poll.
    /// </summary>
    public static async Task<bool> ReserveAsync(
        NpgsqlDataSource dataSource, string ns, AdmittedPoll poll, PollReservation reservation, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(ReserveSql);
        return await ReserveAsync(command, ns, poll, reservation, lifetime, cancellationToken);
    }

    /// <summary>
    /// <see cref="ReserveAsync(NpgsqlDataSource, string, AdmittedPoll, PollReservation, TimeSpan, CancellationToken)"/>
    /// in the transaction of the poll's first claim, which found nothing: the reservation then commits with that claim's
    /// transaction instead of in one of its own. The key stays locked against a duplicate's claim until that commit,
    /// so the caller commits right after.
    /// </summary>
    public static async Task<bool> ReserveAsync(
        EngineTransaction tx, string ns, AdmittedPoll poll, PollReservation reservation, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(ReserveSql);
        return await ReserveAsync(command, ns, poll, reservation, lifetime, cancellationToken);
    }

    private const string ReserveSql =
        """
        INSERT INTO workflow_poll_requests (request_key, namespace, task_kind, task_queue, build_id, worker_id, poll_request_id,
                                            status, reservation_id, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, now() + make_interval(secs => $9))
        ON CONFLICT (request_key) DO UPDATE
           SET status = 'pending', reservation_id = EXCLUDED.reservation_id, task_id = NULL, task_attempt = NULL,
               activity_attempt_id = NULL, created_at = now(), completed_at = NULL, expires_at = EXCLUDED.expires_at
         WHERE workflow_poll_requests.expires_at <= now()
        RETURNING reservation_id
        """;

    private static async Task<bool> ReserveAsync(
        NpgsqlCommand command, string ns, AdmittedPoll poll, PollReservation reservation, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        ArgumentNullException.ThrowIfNull(reservation);
        command.Parameters.Add(SqlValue.Bytes(reservation.Key));
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = poll.TaskKind });
        command.Parameters.Add(new NpgsqlParameter { Value = poll.Worker.TaskQueue });
        command.Parameters.Add(SqlValue.Text(poll.Kind == Workers.PollKind.Query ? null : poll.Worker.MatchingBuildId));
        command.Parameters.Add(new NpgsqlParameter { Value = poll.Worker.WorkerId });
        command.Parameters.Add(new NpgsqlParameter { Value = poll.PollRequestId! });
        command.Parameters.Add(new NpgsqlParameter { Value = reservation.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = lifetime.TotalSeconds });
        return await command.ExecuteScalarAsync(cancellationToken) is string;
    }

    /// <summary>
    /// Takes the key over from the reservation or answer the caller read, when that one expired or was answered with
    /// a lease the worker no longer holds. The observed reservation id makes this a compare-and-set: of several
    /// duplicates only one takes over.
    /// </summary>
    public static async Task<bool> TakeOverAsync(
        NpgsqlDataSource dataSource, PollReservation reservation, string? observedReservationId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(reservation);
        await using var command = dataSource.CreateCommand(
            """
            UPDATE workflow_poll_requests
               SET status = 'pending', reservation_id = $2, task_id = NULL, task_attempt = NULL, activity_attempt_id = NULL,
                   created_at = now(), completed_at = NULL, expires_at = now() + make_interval(secs => $4)
             WHERE request_key = $1 AND reservation_id IS NOT DISTINCT FROM $3
               AND (status = 'completed' OR expires_at <= now())
            """);
        command.Parameters.Add(SqlValue.Bytes(reservation.Key));
        command.Parameters.Add(new NpgsqlParameter { Value = reservation.Id });
        command.Parameters.Add(SqlValue.Text(observedReservationId));
        command.Parameters.Add(new NpgsqlParameter { Value = lifetime.TotalSeconds });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task<PollRequestRecord?> ReadAsync(NpgsqlDataSource dataSource, byte[] key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            """
            SELECT status, reservation_id, task_id, task_attempt, activity_attempt_id, expires_at <= now()
              FROM workflow_poll_requests
             WHERE request_key = $1
            """);
        command.Parameters.Add(SqlValue.Bytes(key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new PollRequestRecord(
            reader.GetString(0),
            reader.StringOrNull(1),
            reader.StringOrNull(2),
            reader.Int32OrNull(3),
            reader.StringOrNull(4),
            reader.GetBoolean(5));
    }

    /// <summary>
    /// Records the leased task in the claim's transaction, and wakes the duplicates waiting for it after commit. The
    /// record takes the key in the same statement when no live poll holds it: a poll whose first probe finds a task
    /// reserves and answers in that one transaction (the row is only written before parking when the poll must wait).
    /// False when another poll holds the key or its answer is still current (a duplicate took it over, or reserved it
    /// first): the caller must then roll its claim back, or the two polls would hold two leases.
    /// </summary>
    public static async Task<bool> RecordClaimAsync(
        EngineTransaction tx,
        PollReservation reservation,
        string taskId,
        int? taskAttempt,
        string? activityAttemptId,
        DateTimeOffset leaseExpiresAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(reservation);
        var poll = reservation.Poll;
        await using var command = tx.Command(
            $"""
            INSERT INTO workflow_poll_requests (request_key, namespace, task_kind, task_queue, build_id, worker_id, poll_request_id,
                                                status, reservation_id, task_id, task_attempt, activity_attempt_id, completed_at, expires_at)
            VALUES ($1, $7, $8, $9, $10, $11, $12, 'completed', $2, $3, $4, $5, now(),
                    LEAST($6 + interval '{AnswerKeptSeconds} seconds', now() + interval '1 hour'))
            ON CONFLICT (request_key) DO UPDATE
               SET status = 'completed', reservation_id = EXCLUDED.reservation_id, task_id = EXCLUDED.task_id,
                   task_attempt = EXCLUDED.task_attempt, activity_attempt_id = EXCLUDED.activity_attempt_id,
                   created_at = CASE WHEN workflow_poll_requests.reservation_id = EXCLUDED.reservation_id
                                     THEN workflow_poll_requests.created_at ELSE now() END,
                   completed_at = now(), expires_at = EXCLUDED.expires_at
             WHERE (workflow_poll_requests.reservation_id = EXCLUDED.reservation_id AND workflow_poll_requests.status = 'pending')
                OR workflow_poll_requests.expires_at <= now()
            RETURNING reservation_id
            """,
            SqlValue.Bytes(reservation.Key), reservation.Id, taskId, SqlValue.Int(taskAttempt), SqlValue.Text(activityAttemptId), leaseExpiresAt,
            reservation.Namespace, poll.TaskKind, poll.Worker.TaskQueue,
            SqlValue.Text(poll.Kind == Workers.PollKind.Query ? null : poll.Worker.MatchingBuildId), poll.Worker.WorkerId, poll.PollRequestId!);
        var recorded = await command.ExecuteScalarAsync(cancellationToken) is string;
        tx.Wake(WakeChannels.PollRequest(reservation.Key));
        return recorded;
    }

    /// <summary>
    /// <see cref="RecordClaimAsync"/> as a data-modifying CTE of the claim statement itself, so a claim and its record
    /// are one statement in the claim's transaction. <paramref name="claimed"/> names the CTE that returns the leased
    /// <c>workflow_tasks</c> row (no row records nothing); <paramref name="taskAttempt"/> and
    /// <paramref name="activityAttemptId"/> are SQL expressions of the values to record. The CTE returns a row only
    /// when the record took the key: an empty result means another poll holds it or its answer is still current, and
    /// the caller must roll the claim back. Its eight parameters (<see cref="RecordClaimParameters"/>) are numbered
    /// from <paramref name="first"/>. The caller still wakes <see cref="WakeChannels.PollRequest"/> through
    /// <see cref="WakeRecorded"/>.
    /// </summary>
    public static string RecordClaimCte(string claimed, string taskAttempt, string activityAttemptId, int first) =>
        $"""
        INSERT INTO workflow_poll_requests AS q (request_key, namespace, task_kind, task_queue, build_id, worker_id, poll_request_id,
                                                 status, reservation_id, task_id, task_attempt, activity_attempt_id, completed_at, expires_at)
        SELECT ${first}, ${first + 2}, ${first + 3}, ${first + 4}, ${first + 5}, ${first + 6}, ${first + 7}, 'completed', ${first + 1},
               {claimed}.id, {taskAttempt}, {activityAttemptId}, now(),
               LEAST({claimed}.lease_expires_at + interval '{AnswerKeptSeconds} seconds', now() + interval '1 hour')
          FROM {claimed}
        ON CONFLICT (request_key) DO UPDATE
           SET status = 'completed', reservation_id = EXCLUDED.reservation_id, task_id = EXCLUDED.task_id,
               task_attempt = EXCLUDED.task_attempt, activity_attempt_id = EXCLUDED.activity_attempt_id,
               created_at = CASE WHEN q.reservation_id = EXCLUDED.reservation_id THEN q.created_at ELSE now() END,
               completed_at = now(), expires_at = EXCLUDED.expires_at
         WHERE (q.reservation_id = EXCLUDED.reservation_id AND q.status = 'pending')
            OR q.expires_at <= now()
        RETURNING q.reservation_id
        """;

    /// <summary>The parameters of <see cref="RecordClaimCte"/>, in its order.</summary>
    public static object?[] RecordClaimParameters(PollReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var poll = reservation.Poll;
        return
        [
            SqlValue.Bytes(reservation.Key), reservation.Id, reservation.Namespace, poll.TaskKind, poll.Worker.TaskQueue,
            SqlValue.Text(poll.Kind == Workers.PollKind.Query ? null : poll.Worker.MatchingBuildId), poll.Worker.WorkerId,
            poll.PollRequestId!,
        ];
    }

    /// <summary>Wakes the duplicates waiting on the key once the claim's transaction commits.</summary>
    public static void WakeRecorded(EngineTransaction tx, PollReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(reservation);
        tx.Wake(WakeChannels.PollRequest(reservation.Key));
    }

    /// <summary>The holder ended empty: duplicates waiting for it answer empty too, and a late retry briefly does.</summary>
    public static async Task CompleteEmptyAsync(
        NpgsqlDataSource dataSource, WakeBus wakeBus, PollReservation reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(wakeBus);
        ArgumentNullException.ThrowIfNull(reservation);
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE workflow_poll_requests
               SET status = 'completed', completed_at = now(), expires_at = now() + interval '{AnswerKeptSeconds} seconds'
             WHERE request_key = $1 AND reservation_id = $2 AND status = 'pending'
            """);
        command.Parameters.Add(SqlValue.Bytes(reservation.Key));
        command.Parameters.Add(new NpgsqlParameter { Value = reservation.Id });
        await command.ExecuteNonQueryAsync(cancellationToken);
        wakeBus.Publish([WakeChannels.PollRequest(reservation.Key)]);
    }

    /// <summary>The holder failed or its caller left: the key is free at once, and a waiting duplicate takes it.</summary>
    public static async Task ReleaseAsync(
        NpgsqlDataSource dataSource, WakeBus wakeBus, PollReservation reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(wakeBus);
        ArgumentNullException.ThrowIfNull(reservation);
        await using var command = dataSource.CreateCommand(
            "DELETE FROM workflow_poll_requests WHERE request_key = $1 AND reservation_id = $2 AND status = 'pending'");
        command.Parameters.Add(SqlValue.Bytes(reservation.Key));
        command.Parameters.Add(new NpgsqlParameter { Value = reservation.Id });
        await command.ExecuteNonQueryAsync(cancellationToken);
        wakeBus.Publish([WakeChannels.PollRequest(reservation.Key)]);
    }

    /// <summary>Deletes a batch of rows expired for over a minute; nothing reads them any more.</summary>
    public static async Task<int> PurgeExpiredAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            $"""
            DELETE FROM workflow_poll_requests
             WHERE request_key IN (SELECT request_key FROM workflow_poll_requests
                                    WHERE expires_at < now() - interval '1 minute'
                                    LIMIT {PurgeBatch}
                                      FOR UPDATE SKIP LOCKED)
            """);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
