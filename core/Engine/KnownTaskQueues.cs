using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Npgsql;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The <c>workflow_task_queues</c> rows this node has seen committed, so a task insert skips the registry upsert for a
/// queue already there. One set per data source (a node has one; a test's fresh database has its own). Rules: an
/// entry is added only after the transaction that wrote or met the row committed (<see cref="EngineTransaction.AfterCommit"/>);
/// nothing deletes registry rows, so an entry never goes stale and has no expiry. The set is capped: past
/// <see cref="Capacity"/> entries new queues are simply upserted every time, as before.
/// </summary>
public sealed class KnownTaskQueues
{
    public const int Capacity = 10_000;

    private static readonly ConditionalWeakTable<NpgsqlDataSource, KnownTaskQueues> PerDataSource = new();

    private readonly ConcurrentDictionary<(string Namespace, string Queue), byte> queues = new();

    public static KnownTaskQueues Of(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return PerDataSource.GetValue(dataSource, _ => new KnownTaskQueues());
    }

    public bool Contains(string ns, string queue) => queues.ContainsKey((ns, queue));

    public void Add(string ns, string queue)
    {
        if (queues.Count < Capacity)
        {
            queues.TryAdd((ns, queue), 0);
        }
    }
}
