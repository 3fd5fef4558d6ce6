using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine.Repair;
using Npgsql;

namespace DurableWorkflow.Core.Discovery;

/// <summary>
/// Reads the live state cluster info reports: the worker fleet of the request namespace (control-plane §2.3.5) and the
/// global task-repair candidate scan (control-plane §10.4, rollout contract §8.3–8.4). Read-only; it writes nothing.
/// </summary>
public sealed class FleetSnapshotReader(NpgsqlDataSource dataSource, ServerSettings settings)
{
    /// <summary>
    /// Registrations whose last heartbeat is within the stale window are the fleet (a registration without a heartbeat
    /// yet counts as live, as everywhere else); draining ones are still live and also counted as draining; stale ones
    /// are only counted.
    /// </summary>
    public async Task<WorkerFleetSummary> ReadFleetAsync(string ns, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT worker_id, task_queue, NULLIF(btrim(build_id), ''), status, last_heartbeat_at,
                   last_heartbeat_at + make_interval(secs => $2),
                   (last_heartbeat_at IS NOT NULL AND last_heartbeat_at < now() - make_interval(secs => $2))
              FROM workflow_worker_registrations
             WHERE namespace = $1
             ORDER BY worker_id
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ns });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.WorkerStaleAfterSeconds });
        var workers = new List<FleetWorker>();
        var draining = new HashSet<string>(StringComparer.Ordinal);
        var stale = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var workerId = reader.GetString(0);
                if (reader.GetBoolean(6))
                {
                    stale.Add(workerId);
                    continue;
                }

                if (reader.GetString(3) == "draining")
                {
                    draining.Add(workerId);
                }

                workers.Add(new FleetWorker
                {
                    WorkerId = workerId,
                    Queues = [reader.GetString(1)],
                    BuildIds = reader.IsDBNull(2) ? [] : [reader.GetString(2)],
                    RecordedAt = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    ExpiresAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                });
            }
        }

        return new WorkerFleetSummary
        {
            Namespace = ns,
            ActiveWorkers = workers.Select(w => w.WorkerId).Distinct(StringComparer.Ordinal).Count(),
            ActiveWorkerScopes = workers.Count,
            Queues = [.. workers.SelectMany(w => w.Queues).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            BuildIds = [.. workers.SelectMany(w => w.BuildIds).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Workers = workers,
            DrainingWorkers = draining.Count,
            StaleWorkers = stale.Count,
        };
    }

    /// <summary>
    /// The global repair candidate scan with this node's policy: the candidates of the repair pass
    /// (<see cref="TaskRepairCandidateSql"/>) counted per (connection, queue, compatibility) scope, and how many of
    /// each a pass would select under its scope-fair round robin.
    /// </summary>
    public async Task<TaskRepairSnapshot> ReadRepairAsync(CancellationToken cancellationToken)
    {
        var policy = TaskRepairPolicy.From(settings);
        await using var command = dataSource.CreateCommand(
            $"""
            WITH {TaskRepairCandidateSql.Ctes}
            SELECT 'existing', queue, compatibility, count(*)::int, min(since), now() FROM existing GROUP BY queue, compatibility
            UNION ALL
            SELECT 'missing', queue, compatibility, count(*)::int, min(since), now() FROM missing GROUP BY queue, compatibility
            """);
        TaskRepairCandidateSql.AddFilter(command, policy.RedispatchAfterSeconds, null, null);
        var buckets = new Dictionary<string, RepairBucket>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var queue = reader.GetString(1);
                var compatibility = reader.IsDBNull(2) ? null : reader.GetString(2);
                var key = $"default:{queue}:{compatibility ?? "any"}";
                if (!buckets.TryGetValue(key, out var bucket))
                {
                    bucket = new RepairBucket(key, queue, compatibility);
                    buckets[key] = bucket;
                }

                var count = reader.GetInt32(3);
                var since = reader.GetFieldValue<DateTimeOffset>(4);
                var ageMs = (long)Math.Max(0, (reader.GetFieldValue<DateTimeOffset>(5) - since).TotalMilliseconds);
                if (reader.GetString(0) == "existing")
                {
                    bucket.Existing = count;
                    bucket.OldestExisting = since;
                    bucket.ExistingAgeMs = ageMs;
                }
                else
                {
                    bucket.Missing = count;
                    bucket.OldestMissing = since;
                    bucket.MissingAgeMs = ageMs;
                }
            }
        }

        return new TaskRepairSnapshot { Policy = policy, Candidates = Summarise([.. buckets.Values], policy) };
    }

    private static TaskRepairCandidates Summarise(List<RepairBucket> buckets, TaskRepairPolicy policy)
    {
        var selectedExisting = RoundRobin(buckets.Select(b => b.Existing).ToList(), policy.ScanLimit);
        var selectedMissing = RoundRobin(buckets.Select(b => b.Missing).ToList(), policy.ScanLimit);
        var scopes = buckets.Select((b, i) => new TaskRepairScope
        {
            ScopeKey = b.Key,
            Connection = null,
            Queue = b.Queue,
            Compatibility = b.Compatibility,
            ExistingTaskCandidates = b.Existing,
            MissingTaskCandidates = b.Missing,
            TotalCandidates = b.Existing + b.Missing,
            SelectedExistingTaskCandidates = selectedExisting[i],
            SelectedMissingTaskCandidates = selectedMissing[i],
            SelectedTotalCandidates = selectedExisting[i] + selectedMissing[i],
            OldestTaskCandidateCreatedAt = b.OldestExisting,
            OldestMissingRunStartedAt = b.OldestMissing,
            MaxTaskCandidateAgeMs = b.ExistingAgeMs,
            MaxMissingRunAgeMs = b.MissingAgeMs,
            ScanLimitedByGlobalPolicy = selectedExisting[i] + selectedMissing[i] < b.Existing + b.Missing,
        })
        .OrderByDescending(s => s.TotalCandidates)
        .ThenByDescending(s => Math.Max(s.MaxTaskCandidateAgeMs, s.MaxMissingRunAgeMs))
        .ThenBy(s => s.ScopeKey, StringComparer.Ordinal)
        .ToList();

        var existing = buckets.Sum(b => b.Existing);
        var missing = buckets.Sum(b => b.Missing);
        var existingSelected = selectedExisting.Sum();
        var missingSelected = selectedMissing.Sum();
        var existingReached = existingSelected >= policy.ScanLimit;
        var missingReached = missingSelected >= policy.ScanLimit;
        return TaskRepairCandidates.None(policy) with
        {
            ExistingTaskCandidates = existing,
            MissingTaskCandidates = missing,
            TotalCandidates = existing + missing,
            SelectedExistingTaskCandidates = existingSelected,
            SelectedMissingTaskCandidates = missingSelected,
            SelectedTotalCandidates = existingSelected + missingSelected,
            ExistingTaskScanLimitReached = existingReached,
            MissingTaskScanLimitReached = missingReached,
            ScanPressure = existingReached || missingReached,
            OldestTaskCandidateCreatedAt = buckets.Select(b => b.OldestExisting).Min(),
            OldestMissingRunStartedAt = buckets.Select(b => b.OldestMissing).Min(),
            MaxTaskCandidateAgeMs = buckets.Count == 0 ? 0 : buckets.Max(b => b.ExistingAgeMs),
            MaxMissingRunAgeMs = buckets.Count == 0 ? 0 : buckets.Max(b => b.MissingAgeMs),
            Scopes = scopes,
        };
    }

    /// <summary>One candidate per scope in turn until the limit: how many each scope would contribute to a pass.</summary>
    private static int[] RoundRobin(List<int> counts, int limit)
    {
        var selected = new int[counts.Count];
        var remaining = limit;
        while (remaining > 0)
        {
            var progressed = false;
            for (var i = 0; i < counts.Count && remaining > 0; i++)
            {
                if (selected[i] < counts[i])
                {
                    selected[i]++;
                    remaining--;
                    progressed = true;
                }
            }

            if (!progressed)
            {
                break;
            }
        }

        return selected;
    }

    private sealed class RepairBucket(string key, string queue, string? compatibility)
    {
        public string Key { get; } = key;

        public string Queue { get; } = queue;

        public string? Compatibility { get; } = compatibility;

        public int Existing { get; set; }

        public int Missing { get; set; }

        public DateTimeOffset? OldestExisting { get; set; }

        public DateTimeOffset? OldestMissing { get; set; }

        public long ExistingAgeMs { get; set; }

        public long MissingAgeMs { get; set; }
    }
}
