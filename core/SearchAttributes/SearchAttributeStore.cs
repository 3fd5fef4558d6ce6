using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.SearchAttributes;

/// <summary>What a definition insert found: created, an existing definition (its type), or the namespace limit.</summary>
public sealed record SearchAttributeCreateOutcome(bool Created, string? ExistingType, bool LimitReached);

/// <summary>
/// All SQL of <c>search_attribute_definitions</c> and <c>workflow_search_attribute_values</c>. The values table is the
/// typed, indexed projection of a run's defined attributes; it is rewritten in the transaction that changes
/// <c>workflow_runs.search_attributes</c>, so a visibility query never sees a value the run does not hold.
/// </summary>
public sealed class SearchAttributeStore(NpgsqlDataSource dataSource)
{
    private const string InsertValuesSql =
        """
        INSERT INTO workflow_search_attribute_values (run_id, namespace, name, ordinal, keyword_value, number_value, bool_value, time_value)
        SELECT v.run_id, $1, v.name, v.ordinal, v.keyword_value, v.number_value, v.bool_value, v.time_value
          FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::numeric[], $7::boolean[], $8::timestamptz[])
               AS v (run_id, name, ordinal, keyword_value, number_value, bool_value, time_value)
        """;

    /// <summary>Custom definitions of the namespace, sorted by name (byte order).</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ListAsync(string ns, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, type FROM search_attribute_definitions WHERE namespace = $1 ORDER BY name");
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        return await ReadPairsAsync(command, cancellationToken);
    }

    /// <summary>Types of the given custom attributes that are defined in the namespace.</summary>
    public async Task<IReadOnlyDictionary<string, string>> TypesAsync(string ns, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        if (names.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        await using var command = dataSource.CreateCommand(TypesSql);
        AddTypesParameters(command, ns, names);
        return (await ReadPairsAsync(command, cancellationToken)).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// Inserts a definition unless the name exists or the namespace is full. The namespace row is locked first, so two
    /// concurrent creates cannot both pass the limit. Values runs already hold under that name become filterable.
    /// </summary>
    public async Task<SearchAttributeCreateOutcome> CreateAsync(string ns, string name, string type, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockNamespace = new NpgsqlCommand("SELECT 1 FROM workflow_namespaces WHERE name = $1 FOR NO KEY UPDATE", connection, transaction))
        {
            lockNamespace.Parameters.Add(new NpgsqlParameter { Value = ns });
            await lockNamespace.ExecuteScalarAsync(cancellationToken);
        }

        await using (var existing = new NpgsqlCommand(
            """
            SELECT (SELECT type FROM search_attribute_definitions WHERE namespace = $1 AND name = $2),
                   (SELECT count(*) FROM search_attribute_definitions WHERE namespace = $1)
            """, connection, transaction))
        {
            existing.Parameters.Add(new NpgsqlParameter { Value = ns });
            existing.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var reader = await existing.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (!reader.IsDBNull(0))
            {
                return new SearchAttributeCreateOutcome(false, reader.GetString(0), false);
            }

            if (reader.GetInt64(1) >= limit)
            {
                return new SearchAttributeCreateOutcome(false, null, true);
            }
        }

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO search_attribute_definitions (namespace, name, type) VALUES ($1, $2, $3)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = ns });
            insert.Parameters.Add(new NpgsqlParameter { Value = name });
            insert.Parameters.Add(new NpgsqlParameter { Value = type });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await BackfillAsync(connection, transaction, ns, name, type, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SearchAttributeCreateOutcome(true, null, false);
    }

    /// <summary>Removes the definition and its filterable values; runs keep the raw values they hold.</summary>
    public async Task<bool> DeleteAsync(string ns, string name, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var values = new NpgsqlBatchCommand("DELETE FROM workflow_search_attribute_values WHERE namespace = $1 AND name = $2");
        values.Parameters.Add(new NpgsqlParameter { Value = ns });
        values.Parameters.Add(new NpgsqlParameter { Value = name });
        var definition = new NpgsqlBatchCommand("DELETE FROM search_attribute_definitions WHERE namespace = $1 AND name = $2");
        definition.Parameters.Add(new NpgsqlParameter { Value = ns });
        definition.Parameters.Add(new NpgsqlParameter { Value = name });
        batch.BatchCommands.Add(values);
        batch.BatchCommands.Add(definition);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return definition.RecordsAffected > 0;
    }

    /// <summary>
    /// Rewrites the filterable values of one run from its attribute object, in the caller's transaction. Attributes
    /// without a definition, or whose value does not have the defined type, stay in the run's jsonb only.
    /// </summary>
    public static async Task IndexRunAsync(EngineTransaction tx, string ns, string runId, JsonObject attributes, bool replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(attributes);
        if (replace)
        {
            await using var delete = tx.Command("DELETE FROM workflow_search_attribute_values WHERE run_id = $1", runId);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        if (attributes.Count == 0)
        {
            return;
        }

        var types = await TypesAsync(tx, ns, [.. attributes.Select(a => a.Key)], cancellationToken);
        var rows = new ValueRows();
        foreach (var (name, value) in attributes)
        {
            if (types.TryGetValue(name, out var type) && SearchAttributeValue.From(type, value) is { } typed)
            {
                rows.Add(runId, name, typed);
            }
        }

        if (rows.Count > 0)
        {
            await using var insert = tx.Command(InsertValuesSql);
            rows.AddParameters(insert, ns);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Types of the given custom attributes, read in the caller's transaction.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> TypesAsync(EngineTransaction tx, string ns, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(TypesSql);
        AddTypesParameters(command, ns, names);
        return (await ReadPairsAsync(command, cancellationToken)).ToDictionary(StringComparer.Ordinal);
    }

    private const string TypesSql = "SELECT name, type FROM search_attribute_definitions WHERE namespace = $1 AND name = ANY($2)";

    private static void AddTypesParameters(NpgsqlCommand command, string ns, IReadOnlyCollection<string> names)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = ns });
        command.Parameters.Add(new NpgsqlParameter { Value = names.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
    }

    private static async Task BackfillAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string ns, string name, string type, CancellationToken cancellationToken)
    {
        var rows = new ValueRows();
        await using (var select = new NpgsqlCommand(
            "SELECT id, search_attributes -> $2 FROM workflow_runs WHERE namespace = $1 AND search_attributes ? $2", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = ns });
            select.Parameters.Add(new NpgsqlParameter { Value = name, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (SearchAttributeValue.From(type, JsonNode.Parse(reader.GetString(1))) is { } typed)
                {
                    rows.Add(reader.GetString(0), name, typed);
                }
            }
        }

        if (rows.Count > 0)
        {
            await using var insert = new NpgsqlCommand(InsertValuesSql, connection, transaction);
            rows.AddParameters(insert, ns);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<List<KeyValuePair<string, string>>> ReadPairsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pairs = new List<KeyValuePair<string, string>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pairs.Add(new(reader.GetString(0), reader.GetString(1)));
        }

        return pairs;
    }

    /// <summary>Column arrays for one <c>unnest</c> insert.</summary>
    private sealed class ValueRows
    {
        private readonly List<string> runIds = [];
        private readonly List<string> names = [];
        private readonly List<SearchAttributeValue> values = [];

        public int Count => values.Count;

        public void Add(string runId, string name, IEnumerable<SearchAttributeValue> typed)
        {
            foreach (var value in typed)
            {
                runIds.Add(runId);
                names.Add(name);
                values.Add(value);
            }
        }

        public void AddParameters(NpgsqlCommand command, string ns)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ns });
            command.Parameters.Add(Array(runIds.ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Array(names.ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Array(values.Select(v => v.Ordinal).ToArray(), NpgsqlDbType.Integer));
            command.Parameters.Add(Array(values.Select(v => v.Keyword).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Array(values.Select(v => v.Number).ToArray(), NpgsqlDbType.Numeric));
            command.Parameters.Add(Array(values.Select(v => v.Bool).ToArray(), NpgsqlDbType.Boolean));
            command.Parameters.Add(Array(values.Select(v => v.Time).ToArray(), NpgsqlDbType.TimestampTz));
        }

        private static NpgsqlParameter Array(object values, NpgsqlDbType elementType) =>
            new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
    }
}
