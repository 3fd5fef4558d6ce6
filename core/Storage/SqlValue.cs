using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.Storage;

/// <summary>
/// Typed parameters for values that may be null. An untyped <see cref="DBNull"/> leaves PostgreSQL to guess the type,
/// which fails in expressions such as <c>COALESCE($1, now())</c>; these pin it.
/// </summary>
public static class SqlValue
{
    public static NpgsqlParameter Text(string? value) => Of(value, NpgsqlDbType.Varchar);

    public static NpgsqlParameter Int(int? value) => Of(value, NpgsqlDbType.Integer);

    public static NpgsqlParameter Long(long? value) => Of(value, NpgsqlDbType.Bigint);

    public static NpgsqlParameter Time(DateTimeOffset? value) => Of(value, NpgsqlDbType.TimestampTz);

    /// <summary>JSON as text, for <c>$n::jsonb</c>; null stays SQL NULL.</summary>
    public static NpgsqlParameter Json(JsonNode? value) => Of(value?.ToJsonString(), NpgsqlDbType.Text);

    /// <summary>JSON that is already text (a worker's raw answer), for <c>$n::jsonb</c>; null stays SQL NULL.</summary>
    public static NpgsqlParameter JsonText(string? json) => Of(json, NpgsqlDbType.Text);

    public static NpgsqlParameter Bytes(byte[]? value) => Of(value, NpgsqlDbType.Bytea);

    private static NpgsqlParameter Of(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
