using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workers;

/// <summary>
/// Build-id cohorts of a task queue (rollout contract §6.3–6.4) and the drain / resume / promote operations on their
/// rollout rows (§6.6, §6.8). The repository owns the SQL; this class speaks the wire.
/// </summary>
public sealed class BuildIdRolloutService(WorkerRegistrationRepository repository, ServerSettings settings)
{
    private const int MaxBuildIdLength = 255;

    public int StaleAfterSeconds => settings.WorkerStaleAfterSeconds;

    public async Task<BuildIdCohortsResponse> ListAsync(string ns, string taskQueue, CancellationToken cancellationToken)
    {
        var members = await repository.ReadCohortMembersAsync(ns, taskQueue, StaleAfterSeconds, cancellationToken);
        var rollouts = (await repository.ReadRolloutsAsync(ns, taskQueue, cancellationToken))
            .ToDictionary(r => r.BuildIdKey, StringComparer.Ordinal);
        var byCohort = members.ToLookup(m => m.BuildIdKey, StringComparer.Ordinal);
        var keys = byCohort.Select(g => g.Key).Union(rollouts.Keys, StringComparer.Ordinal);

        var views = keys
            .Select(key => Cohort(key, [.. byCohort[key]], rollouts.GetValueOrDefault(key)))
            .OrderBy(v => RolloutStatus.Rank(v.RolloutStatus, v.BuildId is null))
            .ThenBy(v => v.LastHeartbeatAt is null ? 1 : 0)
            .ThenByDescending(v => v.LastHeartbeatAt, StringComparer.Ordinal)
            .ThenBy(v => v.BuildId, StringComparer.Ordinal)
            .ToList();
        return new BuildIdCohortsResponse(ns, taskQueue, StaleAfterSeconds, views);
    }

    public async Task<ApiResult<BuildIdRolloutResponse>> DrainAsync(string ns, string taskQueue, JsonElement? body, CancellationToken cancellationToken)
    {
        if (ReadBuildIdKey(body) is not { } key)
        {
            return Invalid(body);
        }

        var rollout = await repository.DrainAsync(ns, taskQueue, key.Value, cancellationToken);
        return ApiResult<BuildIdRolloutResponse>.Ok(Response(ns, taskQueue, rollout));
    }

    public async Task<ApiResult<BuildIdRolloutResponse>> ResumeAsync(string ns, string taskQueue, JsonElement? body, CancellationToken cancellationToken)
    {
        if (ReadBuildIdKey(body) is not { } key)
        {
            return Invalid(body);
        }

        var rollout = await repository.ResumeAsync(ns, taskQueue, key.Value, cancellationToken);
        return ApiResult<BuildIdRolloutResponse>.Ok(Response(ns, taskQueue, rollout));
    }

    public async Task<ApiResult<BuildIdRolloutResponse>> PromoteAsync(string ns, string taskQueue, JsonElement? body, CancellationToken cancellationToken)
    {
        if (ReadBuildIdKey(body) is not { } key)
        {
            return Invalid(body);
        }

        var outcome = await repository.PromoteAsync(ns, taskQueue, key.Value, StaleAfterSeconds, cancellationToken);
        if (outcome.Rollout is null)
        {
            var blockages = new JsonArray([.. outcome.Blockages.Select(b => (JsonNode?)new JsonObject { ["reason"] = b.Reason, ["message"] = b.Message })]);
            return new ApiError(409, "promotion_blocked", $"Build id cannot be promoted on task queue [{taskQueue}]: {string.Join(", ", outcome.Blockages.Select(b => b.Reason))}.")
                .With("namespace", ns)
                .With("task_queue", taskQueue)
                .With("build_id", Public(key.Value))
                .With("blockages", blockages);
        }

        return ApiResult<BuildIdRolloutResponse>.Ok(Response(ns, taskQueue, outcome.Rollout));
    }

    private static BuildIdCohortView Cohort(string key, IReadOnlyList<CohortMember> members, BuildIdRollout? rollout)
    {
        var stale = members.Count(m => m.IsStale);
        var draining = members.Count(m => !m.IsStale && m.Status == WorkerStatus.Draining);
        var active = members.Count - stale - draining;
        var intent = rollout?.DrainIntent ?? WorkerStatus.Active;
        var intentDraining = intent == WorkerStatus.Draining;
        var fingerprints = members.Select(m => m.Fingerprints).ToList();
        return new BuildIdCohortView
        {
            BuildId = Public(key),
            RolloutStatus = RolloutStatus.Derive(active, draining, stale, intentDraining),
            DrainIntent = intent,
            DrainedAt = Seconds(rollout?.DrainedAt),
            PromotedAt = Seconds(rollout?.PromotedAt),
            RolledBackAt = Seconds(rollout?.RolledBackAt),
            NewStartSelected = rollout is { NewStartSelected: true } && !intentDraining,
            ActiveWorkerCount = active,
            DrainingWorkerCount = draining,
            StaleWorkerCount = stale,
            TotalWorkerCount = members.Count,
            Runtimes = Distinct(members.Select(m => m.Runtime)),
            SdkVersions = Distinct(members.Select(m => m.SdkVersion)),
            WorkflowDefinitionFingerprintCount = FingerprintConflicts.DistinctCount(fingerprints),
            WorkflowDefinitionFingerprintConflicts = FingerprintConflicts.Of(fingerprints),
            LastHeartbeatAt = Seconds(members.Max(m => m.LastHeartbeatAt)),
            FirstSeenAt = members.Count == 0 ? null : Seconds(members.Min(m => m.CreatedAt)),
        };
    }

    private static BuildIdRolloutResponse Response(string ns, string taskQueue, BuildIdRollout rollout) => new()
    {
        Namespace = ns,
        TaskQueue = taskQueue,
        BuildId = Public(rollout.BuildIdKey),
        DrainIntent = rollout.DrainIntent,
        DrainedAt = Seconds(rollout.DrainedAt),
        PromotedAt = Seconds(rollout.PromotedAt),
        RolledBackAt = Seconds(rollout.RolledBackAt),
        NewStartSelected = rollout.NewStartSelected && rollout.DrainIntent != WorkerStatus.Draining,
    };

    /// <summary>The cohort key from a body that must carry the <c>build_id</c> key; null when the body is invalid.</summary>
    private static StrongBox? ReadBuildIdKey(JsonElement? body)
    {
        var validator = new RequestValidator(body);
        if (!validator.Has("build_id"))
        {
            return null;
        }

        var value = validator.String("build_id", maxLength: MaxBuildIdLength);
        return validator.IsValid ? new StrongBox((value ?? string.Empty).Trim()) : null;
    }

    private static ApiError Invalid(JsonElement? body)
    {
        var validator = new RequestValidator(body);
        if (validator.Has("build_id"))
        {
            validator.String("build_id", maxLength: MaxBuildIdLength);
        }
        else
        {
            validator.AddError("build_id", "The build id field must be present.");
        }

        return validator.ToError();
    }

    private static string? Public(string key) => key.Length == 0 ? null : key;

    private static List<string> Distinct(IEnumerable<string?> values) =>
        [.. values.Select(v => v?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Second-precision UTC with a <c>Z</c> suffix, the rollout surfaces' timestamp form.</summary>
    private static string? Seconds(DateTimeOffset? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A validated cohort key ('' = unversioned); a class so "absent" and "unversioned" stay distinct.</summary>
    private sealed record StrongBox(string Value);
}
