using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The one poll skeleton of workflow, activity and query polls (worker-protocol spec §3.1.1, §4.1, §5.2; rollout
/// contract §10.4): admit the worker, settle the <c>poll_request_id</c> (reserve it, or follow the poll already holding
/// it), long-poll the queue, answer the task or <c>{"task": null, "poll_status": "empty"}</c>. The kind-specific claim,
/// replay and queue probe come from the caller.
/// </summary>
public sealed class PollRunner : IAsyncDisposable
{
    /// <summary>A reservation outlives its poll's hold by this much, covering the claim and payload after the hold.</summary>
    private static readonly TimeSpan ReservationGrace = TimeSpan.FromSeconds(10);

    /// <summary>Bounds releasing a reservation on a failed poll, whose own token may already be cancelled.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource dataSource;
    private readonly WakeBus wakeBus;
    private readonly WorkerRegistry registry;
    private readonly TimeProvider clock;
    private readonly ILogger<PollRunner> logger;

    public PollRunner(DispatchDataSource dispatch, WakeBus wakeBus, WorkerRegistry registry, TimeProvider clock, ILogger<PollRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(dispatch);
        dataSource = dispatch.Connections;
        this.wakeBus = wakeBus;
        this.registry = registry;
        this.clock = clock;
        this.logger = logger;
        Queues = new QueueProbeLoops(dataSource, wakeBus, clock, logger);
    }

    /// <summary>The shared per-queue probe loops of the polls parked on this node.</summary>
    public QueueProbeLoops Queues { get; }

    /// <summary>
    /// Runs one poll. <paramref name="fields"/> may already hold kind-specific fields; any field error answers 422
    /// before anything is read or written.
    /// </summary>
    public async Task<ApiResult<JsonObject>> RunAsync(
        string ns,
        RequestValidator fields,
        PollKind kind,
        int defaultHoldSeconds,
        QueueProbe queue,
        Func<AdmittedPoll, TaskPoll> bind,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(bind);
        JsonObject? found;
        await using (var transactions = new PollTransactions(dataSource, wakeBus))
        {
            var admitted = await PollAdmission.AdmitAsync(registry, transactions, ns, fields, kind, cancellationToken);
            if (admitted.Error is { } refused)
            {
                return refused;
            }

            var poll = admitted.Value!;
            var task = bind(poll);
            var deadline = clock.GetUtcNow() + LongPoll.Hold(poll.TimeoutSeconds, defaultHoldSeconds);
            found = poll.RequestKey(ns) is { } key
                ? await RunReservedAsync(ns, poll, new PollReservation(key, Ulid.NewId(), ns, poll), deadline, queue, task, transactions, cancellationToken)
                : await ParkAsync(ns, poll, null, deadline, queue, task, transactions, reserveAfterFirstProbe: false, cancellationToken);
        }

        return ApiResult<JsonObject>.Ok(found is null
            ? new JsonObject { ["task"] = null, ["poll_status"] = "empty" }
            : new JsonObject { ["task"] = found });
    }

    public ValueTask DisposeAsync() => Queues.DisposeAsync();

    /// <summary>
    /// A poll with a <c>poll_request_id</c> claims only while it holds the key. The first probe takes the key in its
    /// claim statement (<see cref="PollRequestStore.RecordClaimCte"/>), so a poll that finds work at once writes
    /// its idempotency record with the lease and nothing else; a key another poll holds (or answered) rolls that claim
    /// back. A first probe that found nothing reserves the key in that claim's transaction before the poll waits, so
    /// of two duplicates sent together, or one sent while the first is parked, exactly one claims and the other waits
    /// for its answer (worker-protocol spec §3.1.3: a retry gets the task its lost answer carried, never a second lease).
    /// </summary>
    private async Task<JsonObject?> RunReservedAsync(
        string ns, AdmittedPoll poll, PollReservation reservation, DateTimeOffset deadline, QueueProbe queue, TaskPoll task, PollTransactions transactions,
        CancellationToken cancellationToken)
    {
        var found = await ParkOrReleaseAsync(ns, poll, reservation, deadline, queue, task, transactions, reserveAfterFirstProbe: true, cancellationToken);
        if (ReferenceEquals(found, KeyHeld))
        {
            logger.PollRequestInFlight(poll.PollRequestId!, poll.Worker.WorkerId);
            var followed = await FollowAsync(ns, poll, reservation, deadline, task, cancellationToken);
            if (!followed.Lead)
            {
                return followed.Answer;
            }

            found = await ParkOrReleaseAsync(ns, poll, reservation, deadline, queue, task, transactions, reserveAfterFirstProbe: false, cancellationToken);
        }

        if (found is null)
        {
            await PollRequestStore.CompleteEmptyAsync(dataSource, wakeBus, reservation, cancellationToken);
        }

        return found;
    }

    private async Task<JsonObject?> ParkOrReleaseAsync(
        string ns, AdmittedPoll poll, PollReservation reservation, DateTimeOffset deadline, QueueProbe queue, TaskPoll task, PollTransactions transactions,
        bool reserveAfterFirstProbe, CancellationToken cancellationToken)
    {
        try
        {
            return await ParkAsync(ns, poll, reservation, deadline, queue, task, transactions, reserveAfterFirstProbe, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // Freed at once so a retry leads instead of waiting out the reservation; the failure itself is rethrown
            // unchanged (a database outage stays a 503 database_unavailable).
            await ReleaseAsync(poll, reservation);
            throw;
        }
    }

    /// <summary>
    /// Waits, within this poll's own hold, for the poll holding the key: its task (replayed while the lease is still
    /// the worker's), or its empty answer. The holder's answer wakes this wait on every node; the re-probe covers a
    /// lost signal and notices a reservation whose holder died, which then expires and is taken over.
    /// </summary>
    private async Task<FollowOutcome> FollowAsync(
        string ns, AdmittedPoll poll, PollReservation reservation, DateTimeOffset deadline, TaskPoll task, CancellationToken cancellationToken)
    {
        var outcome = await LongPoll.WaitForAsync(
            wakeBus,
            clock,
            [WakeChannels.PollRequest(reservation.Key)],
            Remaining(deadline),
            async token =>
            {
                var record = await PollRequestStore.ReadAsync(dataSource, reservation.Key, token);
                if (record is null)
                {
                    // The holder gave up (its caller left) or the row was purged: the key is free.
                    return await PollRequestStore.ReserveAsync(dataSource, ns, poll, reservation, Lifetime(deadline), token) ? FollowOutcome.Leading : null;
                }

                if (record.IsPending && !record.Expired)
                {
                    return null;
                }

                if (!record.IsPending && !record.Expired)
                {
                    if (record.TaskId is null)
                    {
                        return FollowOutcome.Empty;
                    }

                    if (await task.ReplayAsync(record, token) is { } replayed)
                    {
                        return new FollowOutcome(replayed, Lead: false);
                    }
                }

                // The holder died (reservation expired), or its answer's lease is no longer the worker's: this is a new
                // logical poll. Compare-and-set on the reservation id, so of several duplicates one leads.
                if (!await PollRequestStore.TakeOverAsync(dataSource, reservation, record.ReservationId, Lifetime(deadline), token))
                {
                    return null;
                }

                logger.PollRequestTakenOver(poll.PollRequestId!, poll.Worker.WorkerId);
                return FollowOutcome.Leading;
            },
            cancellationToken);
        return outcome ?? FollowOutcome.Empty;
    }

    /// <summary>
    /// The long-poll of the queue. The wake subscription is taken before the first probe (see
    /// <see cref="LongPoll.WaitToClaimAsync"/>); the poll is counted as parked before that probe too, so the shared queue
    /// loop is running whenever the poll waits. A parked poll never re-probes on a timer: its share of wake signals and
    /// the shared loop's nudges are what make it probe again, and it holds no connection meanwhile. Later probes claim in
    /// a transaction of their own, rolled back when they find nothing.
    /// </summary>
    private async Task<JsonObject?> ParkAsync(
        string ns, AdmittedPoll poll, PollReservation? reservation, DateTimeOffset deadline, QueueProbe queue, TaskPoll task, PollTransactions transactions,
        bool reserveAfterFirstProbe, CancellationToken cancellationToken)
    {
        var queueName = poll.Worker.TaskQueue;
        var channel = Channel(poll.Kind, ns, queueName);
        var hold = Remaining(deadline);
        using var parked = hold > TimeSpan.Zero ? Queues.Park(poll.Kind, ns, queueName, channel, queue) : null;
        var first = true;
        return await LongPoll.WaitToClaimAsync(
            wakeBus,
            clock,
            channel,
            hold,
            async token =>
            {
                if (!first)
                {
                    var claim = await ClaimAsync(reservation, task, transactions, look: true, token);
                    return (claim.Value, claim.Look);
                }

                first = false;
                return (await FirstProbeAsync(ns, poll, reservation, deadline, queue, task, transactions, reserveAfterFirstProbe, token), default);
            },
            cancellationToken);
    }

    /// <summary>
    /// The first probe, one transaction when it finds nothing: the claim, then (in the claim's transaction, which is
    /// still the admission's) the look for expired leases of the queue and, for a reserving poll, the reservation of its
    /// key for duplicates to follow, then one commit. The reservation is inside the first probe, so the wake subscription
    /// taken before it still covers a task committed meanwhile. The leases found are recovered after that commit, each in
    /// its own transaction (later recoveries are the shared loop's; the first probe does its own so that a poll, even
    /// with a zero hold, gets a lease that already ran out without waiting for the loop's next pass), and a recovery
    /// makes the poll claim again at once.
    /// </summary>
    private async Task<JsonObject?> FirstProbeAsync(
        string ns, AdmittedPoll poll, PollReservation? reservation, DateTimeOffset deadline, QueueProbe queue, TaskPoll task, PollTransactions transactions,
        bool reserve, CancellationToken cancellationToken)
    {
        FoundExpiredLeases expired;
        bool keyHeld;
        EngineTransaction? tx = await transactions.TakeAsync(cancellationToken);
        try
        {
            var claim = await task.ClaimAsync(reservation, tx, false, cancellationToken);
            if (claim.Value is { } claimed)
            {
                return claimed;
            }

            if (claim.Refused)
            {
                // The refused lease is in the transaction: it is rolled back, and the rest gets a transaction of its own.
                await tx.DisposeAsync();
                tx = null;
                tx = await EngineTransaction.BeginAsync(dataSource, wakeBus, cancellationToken);
            }

            expired = await queue.FindExpiredAsync(tx, ns, poll.Worker.TaskQueue, cancellationToken);
            keyHeld = reserve && reservation is not null
                && !await PollRequestStore.ReserveAsync(tx, ns, poll, reservation, Lifetime(deadline), cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        finally
        {
            if (tx is not null)
            {
                await tx.DisposeAsync();
            }
        }

        var recovered = await expired.RecoverAsync(cancellationToken);
        if (keyHeld)
        {
            return KeyHeld;
        }

        if (recovered == 0)
        {
            return null;
        }

        // Under the reservation just taken, if any: the claim's record answers it.
        var again = await ClaimAsync(reservation, task, transactions, look: false, cancellationToken);
        return again.Refused && reserve ? KeyHeld : again.Value;
    }

    /// <summary>A claim in a transaction of its own; disposal rolls back one that found nothing or was refused.</summary>
    private static async Task<PollClaim<JsonObject>> ClaimAsync(
        PollReservation? reservation, TaskPoll task, PollTransactions transactions, bool look, CancellationToken cancellationToken)
    {
        await using var tx = await transactions.TakeAsync(cancellationToken);
        return await task.ClaimAsync(reservation, tx, look, cancellationToken);
    }

    /// <summary>
    /// What the first probe of a reserving poll answers when another poll holds its key (a duplicate in flight, or an
    /// answer still current): it ends the wait, and the poll follows that holder instead. Compared by reference only.
    /// </summary>
    private static readonly JsonObject KeyHeld = [];

    private async Task ReleaseAsync(AdmittedPoll poll, PollReservation reservation)
    {
        using var timeout = new CancellationTokenSource(ReleaseTimeout, clock);
        try
        {
            await PollRequestStore.ReleaseAsync(dataSource, wakeBus, reservation, timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            logger.PollRequestReleaseFailed(ex, poll.PollRequestId!, poll.Worker.WorkerId);
        }
    }

    private TimeSpan Remaining(DateTimeOffset deadline)
    {
        var remaining = deadline - clock.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private TimeSpan Lifetime(DateTimeOffset deadline) => Remaining(deadline) + ReservationGrace;

    private static string Channel(PollKind kind, string ns, string queue) => kind switch
    {
        PollKind.Workflow => WakeChannels.WorkflowTasks(ns, queue),
        PollKind.Activity => WakeChannels.ActivityTasks(ns, queue),
        _ => WakeChannels.QueryTasks(ns, queue),
    };

    /// <summary>A duplicate's result: the holder's answer (a task, or null for empty), or that it now leads itself.</summary>
    private sealed record FollowOutcome(JsonObject? Answer, bool Lead)
    {
        public static readonly FollowOutcome Empty = new(null, Lead: false);

        public static readonly FollowOutcome Leading = new(null, Lead: true);
    }
}
