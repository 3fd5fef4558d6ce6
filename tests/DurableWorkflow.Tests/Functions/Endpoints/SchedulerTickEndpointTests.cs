using System.Net;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Functions.Endpoints;
using DurableWorkflow.Tests.Fixtures;
using Npgsql;

namespace DurableWorkflow.Tests.Functions.Endpoints;

/// <summary>The custom-handler contract of the timer function: the host's envelope in, Outputs/Logs/ReturnValue out.</summary>
public sealed class SchedulerTickEndpointTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    private const string HostEnvelope = """
        {
          "Data": { "timer": { "Schedule": { "AdjustForDST": true },
                               "ScheduleStatus": { "Last": "2026-11-24T03:50:00+00:00", "Next": "2026-11-24T03:51:00+00:00", "LastUpdated": "2026-11-24T03:50:00+00:00" },
                               "IsPastDue": true } },
          "Metadata": { "sys": { "MethodName": "SchedulerTick", "UtcNow": "2026-11-24T03:51:00.01Z", "RandGuid": "0f0e" } }
        }
        """;

    [Fact]
    public async Task a_tick_answers_the_invocation_envelope()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_SCHEDULER_ENABLED", "true"));
        using var client = server.CreateClient();

        using var response = await client.PostAsync(SchedulerTickEndpoint.Path, ServerFactory.Json(HostEnvelope));

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Empty(body["Outputs"]!.AsObject());
        Assert.True(body.ContainsKey("ReturnValue"));
        Assert.Null(body["ReturnValue"]);
        Assert.Equal("scheduler tick: lock acquired (past due)", (string?)body["Logs"]![0]);
    }

    [Fact]
    public async Task a_tick_does_nothing_while_another_scheduler_holds_the_lock()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString, ("DW_SCHEDULER_ENABLED", "true"));
        using var client = server.CreateClient();
        // No pooling: the session lock must end with this connection, not linger in a pooled one.
        await using var other = new NpgsqlConnection(database.ConnectionString + ";Pooling=false");
        await other.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({SchedulerTickRunner.AdvisoryLockKey})", other))
        {
            await take.ExecuteNonQueryAsync();
        }

        using var response = await client.PostAsync(SchedulerTickEndpoint.Path, ServerFactory.Json("{}"));

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("scheduler tick: skipped, another scheduler holds the lock", (string?)body["Logs"]![0]);
    }

    [Fact]
    public async Task a_disabled_scheduler_answers_without_touching_the_database()
    {
        using var server = ServerFactory.WithRoleTokens("Host=127.0.0.1;Port=1;Database=unused;Timeout=1", ("DW_SCHEDULER_ENABLED", "false"));
        using var client = server.CreateClient();

        using var response = await client.PostAsync(SchedulerTickEndpoint.Path, new StringContent("not json"));

        var body = await HttpAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Contains("disabled", (string?)body["Logs"]![0], StringComparison.Ordinal);
    }
}
