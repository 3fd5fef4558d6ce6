using System.Diagnostics;
using Npgsql;

namespace DurableWorkflow.Benchmarks;

/// <summary>
/// The raw PostgreSQL ceiling for the server's dispatch primitive, measured directly through Npgsql: one cycle =
/// transaction 1 inserts a ready task row into a scratch table shaped like <c>workflow_tasks</c>; transaction 2 claims
/// the oldest ready row with the server's <c>FOR UPDATE SKIP LOCKED</c> claim statement. K connections run cycles
/// concurrently. The scratch table is dropped afterwards.
/// </summary>
public static class RawPostgresCeiling
{
    public sealed record Result(int Cycles, int EmptyClaims, TimeSpan Elapsed)
    {
        public double CyclesPerSecond => Cycles / Elapsed.TotalSeconds;
    }

    public static async Task<Result> MeasureAsync(string connectionString, int cycles, int connections, CancellationToken cancellationToken)
    {
        var table = $"dw_bench_raw_{Guid.NewGuid():N}";
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = connections, MinPoolSize = connections };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await ExecuteAsync(dataSource, $$"""
            CREATE TABLE {{table}} (
                id               bigserial PRIMARY KEY,
                namespace        text        NOT NULL,
                task_queue       text        NOT NULL,
                status           text        NOT NULL,
                available_at     timestamptz NOT NULL DEFAULT now(),
                priority         smallint    NOT NULL DEFAULT 5,
                lease_owner      text,
                leased_at        timestamptz,
                lease_expires_at timestamptz,
                attempt_count    integer     NOT NULL DEFAULT 0,
                payload          jsonb       NOT NULL DEFAULT '{}',
                created_at       timestamptz NOT NULL DEFAULT now(),
                updated_at       timestamptz NOT NULL DEFAULT now());
            CREATE INDEX {{table}}_ready ON {{table}} (namespace, task_queue, priority, available_at, id) WHERE status = 'ready';
            """, cancellationToken);
        try
        {
            var emptyClaims = 0;
            var perConnection = Enumerable.Range(0, connections).Select(i => cycles / connections + (i < cycles % connections ? 1 : 0)).ToList();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(perConnection.Select(async (count, index) =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                var owner = $"raw-{index}";
                for (var i = 0; i < count; i++)
                {
                    await using (var enqueue = await connection.BeginTransactionAsync(cancellationToken))
                    {
                        await using var insert = new NpgsqlCommand(
                            $"INSERT INTO {table} (namespace, task_queue, status, payload) VALUES ('default', 'raw', 'ready', $1::jsonb) RETURNING id",
                            connection, enqueue);
                        insert.Parameters.Add(new NpgsqlParameter { Value = "{\"workflow_type\":\"bench.one_activity\"}" });
                        await insert.ExecuteScalarAsync(cancellationToken);
                        await enqueue.CommitAsync(cancellationToken);
                    }

                    while (true)
                    {
                        await using var claimTx = await connection.BeginTransactionAsync(cancellationToken);
                        await using var claim = new NpgsqlCommand(
                            $"""
                            WITH picked AS (
                                SELECT id FROM {table}
                                 WHERE status = 'ready' AND namespace = 'default' AND task_queue = 'raw' AND available_at <= now()
                                 ORDER BY priority, available_at, id
                                 LIMIT 1
                                   FOR UPDATE SKIP LOCKED)
                            UPDATE {table} t
                               SET status = 'leased', lease_owner = $1, leased_at = now(),
                                   lease_expires_at = now() + interval '300 seconds', attempt_count = t.attempt_count + 1, updated_at = now()
                              FROM picked
                             WHERE t.id = picked.id
                            RETURNING t.id
                            """, connection, claimTx);
                        claim.Parameters.Add(new NpgsqlParameter { Value = owner });
                        var claimed = await claim.ExecuteScalarAsync(cancellationToken);
                        await claimTx.CommitAsync(cancellationToken);
                        if (claimed is not null)
                        {
                            break;
                        }

                        // Every ready row was locked by another claimer at that instant; ours is still there.
                        Interlocked.Increment(ref emptyClaims);
                    }
                }
            }));
            return new Result(cycles, emptyClaims, clock.Elapsed);
        }
        finally
        {
            await ExecuteAsync(dataSource, $"DROP TABLE IF EXISTS {table}", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
