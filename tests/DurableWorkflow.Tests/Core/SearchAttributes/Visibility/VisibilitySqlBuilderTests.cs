using DurableWorkflow.Core.SearchAttributes.Visibility;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Tests.Core.SearchAttributes.Visibility;

public sealed class VisibilitySqlBuilderTests
{
    private static readonly Dictionary<string, string> Custom = new(StringComparer.Ordinal)
    {
        ["CustomerId"] = "keyword", ["Priority"] = "int", ["Score"] = "double", ["Vip"] = "bool", ["DueAt"] = "datetime", ["Tags"] = "keyword_list",
    };

    [Fact]
    public void values_become_typed_parameters_and_never_reach_the_sql_text()
    {
        var (sql, parameters) = Build("CustomerId = \"x'; DROP TABLE t; --\" AND Priority >= 5 AND DueAt < \"2026-04-22T05:00:00Z\" AND Vip = true");

        Assert.DoesNotContain("DROP", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("2026", sql, StringComparison.Ordinal);
        Assert.Equal(
            [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Numeric, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Boolean, NpgsqlDbType.Text],
            parameters.Skip(1).Select(p => p.NpgsqlDbType));
        Assert.Equal("x'; DROP TABLE t; --", parameters[1].Value);
        Assert.Equal("CustomerId", parameters[2].Value);
        Assert.Equal(5m, parameters[3].Value);
        Assert.Equal(new DateTimeOffset(2026, 4, 22, 5, 0, 0, TimeSpan.Zero), parameters[5].Value);
        Assert.Contains("v.name = $3 AND v.keyword_value = $2", sql, StringComparison.Ordinal);
        Assert.Contains("v.number_value >= $4", sql, StringComparison.Ordinal);
        Assert.Contains("v.time_value < $6", sql, StringComparison.Ordinal);
        Assert.Contains("v.bool_value = $8", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void system_attributes_map_to_run_columns_and_negations_keep_nulls()
    {
        var (sql, _) = Build("(WorkflowType = 'a' OR TaskQueue IN ('q1','q2')) AND BuildId != 'v1' AND CloseTime NOT IN ('2026-01-01')");
        Assert.Equal(
            "((r.workflow_type = $2 OR r.task_queue IN ($3, $4)) AND (r.compatibility = $5) IS NOT TRUE AND (r.closed_at IN ($6)) IS NOT TRUE)",
            sql);
    }

    [Fact]
    public void undefined_attributes_fall_back_to_json_containment()
    {
        var (sql, parameters) = Build("Free = \"42\" AND Count IN (1, 2) AND Flag != true");
        Assert.Equal("(r.search_attributes @> $2 AND (r.search_attributes @> $3 OR r.search_attributes @> $4) AND NOT (r.search_attributes @> $5))", sql);
        Assert.Equal(["{\"Free\":\"42\"}", "{\"Count\":1}", "{\"Count\":2}", "{\"Flag\":true}"], parameters.Skip(1).Select(p => (string)p.Value!));
        Assert.All(parameters.Skip(1), p => Assert.Equal(NpgsqlDbType.Jsonb, p.NpgsqlDbType));
    }

    [Fact]
    public void custom_negation_is_not_exists()
    {
        var (sql, _) = Build("Tags != 'red'");
        Assert.StartsWith("NOT EXISTS (SELECT 1 FROM workflow_search_attribute_values v WHERE v.run_id = r.id AND v.namespace = $1", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void bounds_on_one_single_valued_attribute_share_one_exists_but_list_bounds_do_not()
    {
        var (sql, _) = Build("DueAt > '2026-01-01' AND Priority = 1 AND DueAt < '2026-02-01' AND Tags = 'a' AND Tags = 'b'");
        Assert.Equal(
            "(EXISTS (SELECT 1 FROM workflow_search_attribute_values v WHERE v.run_id = r.id AND v.namespace = $1 AND v.name = $4 AND v.time_value > $2 AND v.time_value < $3)"
            + " AND EXISTS (SELECT 1 FROM workflow_search_attribute_values v WHERE v.run_id = r.id AND v.namespace = $1 AND v.name = $6 AND v.number_value = $5)"
            + " AND EXISTS (SELECT 1 FROM workflow_search_attribute_values v WHERE v.run_id = r.id AND v.namespace = $1 AND v.name = $8 AND v.keyword_value = $7)"
            + " AND EXISTS (SELECT 1 FROM workflow_search_attribute_values v WHERE v.run_id = r.id AND v.namespace = $1 AND v.name = $10 AND v.keyword_value = $9))",
            sql);
    }

    [Theory]
    [InlineData("Unknown > 1", 0, "[Unknown] is not defined")]
    [InlineData("customerid < 'x'", 0, "not defined")]
    [InlineData("Unknown = nope", 10, "quoted string, a number, true or false")]
    [InlineData("CustomerId > 'x'", 0, "number or datetime")]
    [InlineData("Status < 'x'", 0, "number or datetime")]
    [InlineData("Priority = '5'", 11, "must be a number")]
    [InlineData("CustomerId = 42", 13, "quoted string")]
    [InlineData("Vip = 1", 6, "true or false")]
    [InlineData("Vip IN (true)", 0, "bool")]
    [InlineData("DueAt > 'yesterday'", 8, "ISO-8601")]
    [InlineData("StartTime > 5", 12, "ISO-8601")]
    [InlineData("Priority = 1.2.3", 11, "must be a number")]
    [InlineData("Priority > 1 AND CustomerId < 'x'", 17, "number or datetime")]
    [InlineData("CustomerId = 'a' AND CustomerId >= 'b'", 21, "number or datetime")]
    public void type_rules_refuse_with_the_position(string query, int position, string fragment)
    {
        var error = Assert.Throws<InvalidVisibilityQueryException>(() => Build(query));
        Assert.Equal(position, error.Position);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    private static (string Sql, List<NpgsqlParameter> Parameters) Build(string query)
    {
        var parameters = new List<NpgsqlParameter> { new() { Value = "default" } };
        var sql = new VisibilitySqlBuilder(Custom, parameters, "$1").Build(VisibilityParser.Parse(query));
        return (sql, parameters);
    }
}
