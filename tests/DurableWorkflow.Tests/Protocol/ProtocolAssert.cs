using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DurableWorkflow.TestWorker;
using Npgsql;

namespace DurableWorkflow.Tests.Protocol;

public static class ProtocolAssert
{
    /// <summary>The worker envelope (§1.7): advertised version header and body key, and the capabilities object.</summary>
    public static JsonObject WorkerEnvelope(WireResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.True(response.Body is not null, $"not a JSON object: {response}");
        var body = response.Json;
        Assert.True(body["protocol_version"] is JsonValue v && v.TryGetValue<string>(out var version) && version.StartsWith("1.", StringComparison.Ordinal),
            $"protocol_version missing: {response}");
        Assert.True(body["server_capabilities"] is JsonObject, $"server_capabilities missing: {response}");
        Assert.Equal((string?)body["protocol_version"], response.Header("X-Durable-Workflow-Protocol-Version"));
        Assert.Null(body["control_plane"]);
        return body;
    }

    /// <summary>An error in the worker envelope with the documented <c>reason</c> and a message (§1.11).</summary>
    public static JsonObject WorkerError(WireResponse response, HttpStatusCode status, string reason)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.True(response.Status == status, $"expected {(int)status} {reason}, got {response}");
        var body = WorkerEnvelope(response);
        Assert.True(reason == (string?)body["reason"], $"expected reason {reason}, got {response}");
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"] ?? (string?)body["error"]), $"error without message/error: {response}");
        return body;
    }

    public static JsonObject Ok(WireResponse response, HttpStatusCode status = HttpStatusCode.OK)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.True(response.Status == status, $"expected {(int)status}, got {response}");
        return response.Json;
    }
}

/// <summary>Row counts of every table of the database, to prove a refused request wrote nothing.</summary>
public static class DatabaseSnapshot
{
    public static async Task<string> CountsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
            connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new StringBuilder();
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", connection);
            text.Append(CultureInfo.InvariantCulture, $"{table}={await count.ExecuteScalarAsync()};");
        }

        return text.ToString();
    }

    /// <summary>One task row as text (every column), to prove it was not touched.</summary>
    public static async Task<string> TaskRowAsync(string connectionString, string taskId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT row_to_json(t)::text FROM workflow_tasks t WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        return (string?)await command.ExecuteScalarAsync() ?? "<missing>";
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql, params object[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(string connectionString, string sql, params object[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }
}
