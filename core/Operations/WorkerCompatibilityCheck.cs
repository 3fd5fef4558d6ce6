using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Engine;
using Npgsql;

namespace DurableWorkflow.Core.Operations;

/// <summary>Live fleet coverage of the required marker, as the <c>worker_compatibility</c> check needs it.</summary>
public sealed record WorkerCompatibilityFleet(string? RequiredCompatibility, int ActiveWorkers, int ActiveWorkerScopes, int ActiveWorkersSupportingRequired);

/// <summary>
/// The <c>worker_compatibility</c> check (rollout contract §4.2, §4.5, invariant 39): <c>ok</c> when this node requires
/// no marker (<c>DW_V2_CURRENT_COMPATIBILITY</c> unset) or at least one live fleet heartbeat supports it; otherwise
/// <c>error</c> in fail mode and <c>warning</c> in warn mode. It is one of the two checks that may report <c>error</c>.
/// <see cref="EvaluateAsync"/> is the fleet-wide form readiness uses (the compatibility namespace, or every namespace
/// when <c>DW_V2_COMPATIBILITY_NAMESPACE</c> is unset, read from the durable heartbeat rows only); the health snapshot
/// calls <see cref="Evaluate"/> with the namespace-scoped figures of the operator metrics.
/// </summary>
public sealed class WorkerCompatibilityCheck(NpgsqlDataSource dataSource, ServerSettings settings)
{
    public const string Name = "worker_compatibility";

    private static readonly string FleetSql =
        $"""
        SELECT count(DISTINCT h.worker_id)::int, count(*)::int,
               count(DISTINCT h.worker_id) FILTER (WHERE $2::text IS NULL OR {CompatibilityRouting.HeartbeatSupportsSql("h", "$2")})::int
          FROM {CompatibilityRouting.LiveHeartbeatsSql("h", "$1", "NULL")}
           AND h.worker_id <> ''
        """;

    /// <summary>The check over the live fleet of the compatibility namespace; the check object of §4.5.</summary>
    public async Task<JsonObject> EvaluateAsync(CancellationToken cancellationToken)
    {
        var required = settings.Compatibility.Current;
        await using var command = dataSource.CreateCommand(FleetSql);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.Compatibility.Namespace ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)required ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var fleet = new WorkerCompatibilityFleet(required, reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        return Evaluate(fleet, settings.Compatibility.FleetValidationMode);
    }

    public static JsonObject Evaluate(WorkerCompatibilityFleet fleet, FleetValidationMode mode)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var covered = fleet.RequiredCompatibility is null || fleet.ActiveWorkersSupportingRequired > 0;
        var status = covered ? "ok" : mode == FleetValidationMode.Fail ? "error" : "warning";
        return new JsonObject
        {
            ["name"] = Name,
            ["status"] = status,
            ["message"] = covered
                ? "The live fleet supports the required compatibility marker."
                : $"No live worker heartbeat advertises compatibility [{fleet.RequiredCompatibility}].",
            ["category"] = "correctness",
            ["data"] = new JsonObject
            {
                ["required_compatibility"] = fleet.RequiredCompatibility,
                ["active_workers"] = fleet.ActiveWorkers,
                ["active_worker_scopes"] = fleet.ActiveWorkerScopes,
                ["active_workers_supporting_required"] = fleet.ActiveWorkersSupportingRequired,
                ["validation_mode"] = mode == FleetValidationMode.Fail ? "fail" : "warn",
            },
        };
    }
}
