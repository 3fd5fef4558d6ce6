using System.Text.Json.Nodes;
using Npgsql;

namespace DurableWorkflow.Core.Storage;

/// <summary>Nullable column reads, so row readers say what a column is instead of repeating <c>IsDBNull</c>.</summary>
public static class SqlReader
{
    public static string? StringOrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    public static int? Int32OrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
    }

    public static long? Int64OrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
    }

    /// <summary>A timestamptz as an offset; a plain scalar read would hand back a <see cref="DateTime"/>.</summary>
    public static DateTimeOffset Time(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetFieldValue<DateTimeOffset>(ordinal);
    }

    public static DateTimeOffset? TimeOrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
    }

    public static byte[]? BytesOrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<byte[]>(ordinal);
    }

    /// <summary>A <c>jsonb::text</c> column as an object; null when the column is NULL or not an object.</summary>
    public static JsonObject? JsonObjectOrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : JsonNode.Parse(reader.GetString(ordinal)) as JsonObject;
    }

    /// <summary>A <c>jsonb::text</c> column as any JSON value; null when the column is NULL.</summary>
    public static JsonNode? JsonOrNull(this NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : JsonNode.Parse(reader.GetString(ordinal));
    }
}
