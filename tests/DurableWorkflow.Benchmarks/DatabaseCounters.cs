using Npgsql;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// What the server's database did over a window, read from PostgreSQL's own counters: transactions from
/// <c>pg_stat_database</c> (always present) and statements from <c>pg_stat_statements</c> when the library is in
/// <c>shared_preload_libraries</c> (the extension is then created in the database if missing).
/// Statements are counted top level only (<c>toplevel = true</c>: with <c>track = all</c>, statements run by FK
/// triggers or functions are excluded, as <c>track = top</c> would), and the transaction-control utilities (BEGIN,
/// COMMIT, ROLLBACK) are kept apart; every other statement of the database counts, whichever node or background loop
/// issued it, except this class's own reads. A backend reports <c>pg_stat_database</c> up to 10 s after it goes idle,
/// so a window's transaction count is read after <see cref="Settle"/>.
/// </summary>
public sealed class DatabaseCounters
{
    /// <summary>PostgreSQL 15 flushes an idle backend's statistics within 10 s.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(11);

    /// <summary>
    /// This class's own transactions inside a window, subtracted: the reset statement (its backend reports it on exit,
    /// after the start snapshot) and the read connection's start-up transaction (a fresh backend reports it at once).
    /// Both connections are unpooled, so each backend reports everything when it exits.
    /// </summary>
    private const int OwnTransactionsPerWindow = 2;

    private readonly string connectionString;
    private Totals start = new(0, 0, 0, 0, 0, 0);
    private Dictionary<string, TableWrites> startWrites = [];

    private DatabaseCounters(string connectionString, string? statementsUnavailable, string? track)
    {
        this.connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        StatementsUnavailable = statementsUnavailable;
        Track = track;
    }

    /// <summary>Why statements cannot be counted, or null when they can.</summary>
    public string? StatementsUnavailable { get; }

    /// <summary><c>pg_stat_statements.track</c> when available.</summary>
    public string? Track { get; }

    public static async Task<DatabaseCounters> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var preload = (string?)await Scalar(connection, "SELECT current_setting('shared_preload_libraries')", cancellationToken) ?? string.Empty;
        if (!preload.Split(',').Any(l => l.Trim() == "pg_stat_statements"))
        {
            return new DatabaseCounters(connectionString, "not available (pg_stat_statements is not in shared_preload_libraries; see the README)", null);
        }

        try
        {
            await Scalar(connection, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", cancellationToken);
            var track = (string?)await Scalar(connection, "SELECT current_setting('pg_stat_statements.track')", cancellationToken);
            return new DatabaseCounters(connectionString, track == "none" ? "not available (pg_stat_statements.track = none)" : null, track);
        }
        catch (PostgresException ex)
        {
            return new DatabaseCounters(connectionString, $"not available ({ex.MessageText})", null);
        }
    }

    /// <summary>Starts a window: resets the statement counters and notes the transaction counters, in one statement.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Read ahead of the reset, so this read is neither a statement nor a transaction of the window.
        startWrites = await TableWritesAsync(connection, cancellationToken);
        start = await TransactionsAsync(connection, StatementsUnavailable is null ? ", pg_stat_statements_reset()" : string.Empty, cancellationToken);
    }

    /// <summary>
    /// Turns autovacuum off on the database's own tables, then vacuums and analyzes every table, catalogs included:
    /// only for a scratch database, before a window, never inside one.
    /// </summary>
    public async Task VacuumAnalyzeAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Autovacuum's own transactions count in pg_stat_database as well and can land in any window, so the scratch
        // database's tables are left out of it from here on. That switch writes catalog rows, so the vacuum comes after
        // it: a catalog left with dead rows (this ALTER, the raw ceiling's CREATE/DROP TABLE) would otherwise bring an
        // autovacuum worker into the window with a transaction per catalog it cleans.
        await Scalar(connection, """
            DO $$
            DECLARE t regclass;
            BEGIN
              FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
                EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)', t);
              END LOOP;
            END $$
            """, cancellationToken);
        await Scalar(connection, "VACUUM ANALYZE", cancellationToken);

        // ANALYZE replaces pg_statistic rows, leaving dead ones that autovacuum would come for.
        await Scalar(connection, "VACUUM pg_catalog.pg_statistic", cancellationToken);
    }

    /// <summary>Ends a window (call it <see cref="Settle"/> after the activity to count stopped).</summary>
    public async Task<Window> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var end = await TransactionsAsync(connection, string.Empty, cancellationToken);
        var endWrites = await TableWritesAsync(connection, cancellationToken);
        var writes = endWrites.Values
            .Select(e => startWrites.TryGetValue(e.Table, out var b) ? e.Minus(b) : e)
            .Where(w => w.Inserts + w.Updates + w.Deletes > 0)
            .OrderByDescending(w => w.Inserts + w.Updates + w.Deletes)
            .ThenBy(w => w.Table, StringComparer.Ordinal)
            .ToList();
        var statements = new List<(string Query, long Calls)>();
        if (StatementsUnavailable is null)
        {
            await using var read = new NpgsqlCommand(
                """
                SELECT query, sum(calls)::bigint FROM pg_stat_statements
                 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel
                   AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%pg_stat_database%'
                   AND query NOT LIKE '%pg_stat_user_tables%'
                 GROUP BY query
                """, connection);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                statements.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        return new Window(
            StatementsUnavailable is null ? statements : null,
            Math.Max(0, end.Commits - start.Commits - OwnTransactionsPerWindow),
            end.Rollbacks - start.Rollbacks,
            end.AutovacuumPasses - start.AutovacuumPasses,
            end.WalBytes - start.WalBytes,
            end.FullPageImages - start.FullPageImages,
            end.Checkpoints - start.Checkpoints,
            writes);
    }

    /// <summary>
    /// Row changes per table of the database's own schema so far (<c>pg_stat_user_tables</c>, flushed like
    /// <c>pg_stat_database</c>), with the table's index count: a row insert or a non-HOT update adds an entry to each
    /// index whose predicate the new row meets, a HOT update to none.
    /// </summary>
    private static async Task<Dictionary<string, TableWrites>> TableWritesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(
            """
            SELECT s.relname::text, (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid)::int,
                   s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_del
              FROM pg_stat_user_tables s WHERE s.schemaname = 'public'
            """, connection);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        var writes = new Dictionary<string, TableWrites>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var table = reader.GetString(0);
            writes[table] = new TableWrites(table, reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        }

        return writes;
    }

    /// <remarks>
    /// Autovacuum works a table per transaction, and those transactions count in <c>pg_stat_database</c> like any
    /// other; the number of table passes (vacuums and analyzes, catalogs included) shows how many of a window's
    /// transactions were its, at the least. WAL and checkpoints are the cluster's (<c>pg_stat_wal</c>,
    /// <c>pg_stat_bgwriter</c>): the first change to a page after a checkpoint logs the whole page, so they tell
    /// whether a checkpoint weighed on a phase.
    /// </remarks>
    private static async Task<Totals> TransactionsAsync(
        NpgsqlConnection connection, string alsoSelect, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(
            "SELECT xact_commit, xact_rollback, " +
            "(SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_all_tables)::bigint, " +
            "(SELECT wal_bytes FROM pg_stat_wal)::bigint, (SELECT wal_fpi FROM pg_stat_wal), " +
            "(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)" +
            $"{alsoSelect} FROM pg_stat_database WHERE datname = current_database()",
            connection);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Totals(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private sealed record Totals(long Commits, long Rollbacks, long AutovacuumPasses, long WalBytes, long FullPageImages, long Checkpoints);

    /// <summary>One table's row changes over a window (or since statistics began), and how many indexes it has.</summary>
    public sealed record TableWrites(string Table, int Indexes, long Inserts, long Updates, long HotUpdates, long Deletes)
    {
        public TableWrites Minus(TableWrites before)
        {
            ArgumentNullException.ThrowIfNull(before);
            return this with
            {
                Inserts = Inserts - before.Inserts,
                Updates = Updates - before.Updates,
                HotUpdates = HotUpdates - before.HotUpdates,
                Deletes = Deletes - before.Deletes,
            };
        }
    }

    /// <summary>The counters of one window; <see cref="Statements"/> is null without pg_stat_statements.</summary>
    public sealed record Window(
        IReadOnlyList<(string Query, long Calls)>? Statements, long Commits, long Rollbacks, long AutovacuumPasses,
        long WalBytes, long FullPageImages, long Checkpoints, IReadOnlyList<TableWrites> Writes)
    {
        public long Transactions => Commits + Rollbacks;

        /// <summary>Top-level statements other than BEGIN, COMMIT, ROLLBACK.</summary>
        public long? WorkStatements => Statements?.Where(s => !IsTransactionControl(s.Query)).Sum(s => s.Calls);

        /// <summary>BEGIN, COMMIT, ROLLBACK (and savepoints) sent as statements.</summary>
        public long? ControlStatements => Statements?.Where(s => IsTransactionControl(s.Query)).Sum(s => s.Calls);

        public IEnumerable<(string Query, long Calls)> Top(int count) =>
            Statements?.OrderByDescending(s => s.Calls).ThenBy(s => s.Query, StringComparer.Ordinal).Take(count) ?? [];

        private static bool IsTransactionControl(string query)
        {
            var head = query.TrimStart().Split(' ', 2)[0].ToUpperInvariant();
            return head is "BEGIN" or "COMMIT" or "ROLLBACK" or "START" or "END" or "SAVEPOINT" or "RELEASE";
        }
    }
}
