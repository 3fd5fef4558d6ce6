using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace DurableWorkflow.Core.SearchAttributes.Visibility;

/// <summary>
/// Turns a parsed visibility query into a SQL condition over <c>workflow_runs r</c>. Every value becomes a parameter;
/// column names come only from the fixed system-attribute map and custom attributes are matched by a parameterised
/// name in <c>workflow_search_attribute_values</c>, so no query text ever reaches the SQL string. Attributes must be
/// system attributes or defined in the namespace; operators and values must fit the attribute's type.
/// </summary>
public sealed class VisibilitySqlBuilder
{
    private static readonly Dictionary<string, (string Column, string Type)> SystemColumns = new(StringComparer.Ordinal)
    {
        ["WorkflowType"] = ("r.workflow_type", SearchAttributeTypes.Keyword),
        ["WorkflowId"] = ("r.workflow_instance_id", SearchAttributeTypes.Keyword),
        ["RunId"] = ("r.id", SearchAttributeTypes.Keyword),
        ["Status"] = ("r.status", SearchAttributeTypes.Keyword),
        ["StartTime"] = ("r.started_at", SearchAttributeTypes.Datetime),
        ["CloseTime"] = ("r.closed_at", SearchAttributeTypes.Datetime),
        ["TaskQueue"] = ("r.task_queue", SearchAttributeTypes.Keyword),
        ["BuildId"] = ("r.compatibility", SearchAttributeTypes.Keyword),
    };

    private readonly IReadOnlyDictionary<string, string> customTypes;
    private readonly List<NpgsqlParameter> parameters;
    private readonly string namespaceParameter;

    /// <param name="customTypes">The namespace's custom definitions (name → type).</param>
    /// <param name="parameters">The command's parameter list; values are appended, so <c>$n</c> numbering continues.</param>
    /// <param name="namespaceParameter">The placeholder already bound to the namespace, e.g. <c>$1</c>.</param>
    public VisibilitySqlBuilder(IReadOnlyDictionary<string, string> customTypes, List<NpgsqlParameter> parameters, string namespaceParameter)
    {
        this.customTypes = customTypes;
        this.parameters = parameters;
        this.namespaceParameter = namespaceParameter;
    }

    /// <summary>Every attribute name the expression mentions, for loading the definitions it needs.</summary>
    public static IReadOnlySet<string> AttributeNames(VisibilityExpression expression)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        Collect(expression, names);
        return names;
    }

    public string Build(VisibilityExpression expression)
    {
        var sql = new StringBuilder();
        Append(expression, sql);
        return sql.ToString();
    }

    private static void Collect(VisibilityExpression expression, HashSet<string> names)
    {
        switch (expression)
        {
            case VisibilityJunction junction:
                foreach (var operand in junction.Operands)
                {
                    Collect(operand, names);
                }

                break;
            case VisibilityComparison comparison:
                names.Add(comparison.Attribute.Text);
                break;
            case VisibilityMembership membership:
                names.Add(membership.Attribute.Text);
                break;
        }
    }

    private void Append(VisibilityExpression expression, StringBuilder sql)
    {
        switch (expression)
        {
            case VisibilityJunction junction:
                sql.Append('(');
                var first = true;
                foreach (var part in junction.IsAnd ? MergeRanges(junction.Operands) : [.. junction.Operands.Select(o => new[] { o })])
                {
                    if (!first)
                    {
                        sql.Append(junction.IsAnd ? " AND " : " OR ");
                    }

                    first = false;
                    if (part.Length == 1)
                    {
                        Append(part[0], sql);
                    }
                    else
                    {
                        AppendRange(part.Cast<VisibilityComparison>().ToList(), sql);
                    }
                }

                sql.Append(')');
                break;
            case VisibilityComparison comparison:
                AppendComparison(comparison, sql);
                break;
            case VisibilityMembership membership:
                AppendMembership(membership, sql);
                break;
        }
    }

    private void AppendComparison(VisibilityComparison comparison, StringBuilder sql)
    {
        if (IsUndefined(comparison.Attribute))
        {
            if (comparison.Operator is not ("=" or "!="))
            {
                throw Undefined(comparison.Attribute);
            }

            var contains = $"r.search_attributes @> {BindUntyped(comparison.Attribute.Text, comparison.Value)}";
            sql.Append(comparison.Operator == "=" ? contains : $"NOT ({contains})");
            return;
        }

        var (column, type) = Resolve(comparison.Attribute);
        CheckOperator(comparison, type);

        var value = Bind(comparison.Attribute.Text, type, comparison.Value);
        var negated = comparison.Operator == "!=";
        var op = negated ? "=" : comparison.Operator;
        if (column is not null)
        {
            sql.Append(negated ? $"({column} = {value}) IS NOT TRUE" : $"{column} {op} {value}");
            return;
        }

        AppendExists(comparison.Attribute.Text, negated, $"{ValueColumn(type)} {op} {value}", sql);
    }

    private void AppendMembership(VisibilityMembership membership, StringBuilder sql)
    {
        if (IsUndefined(membership.Attribute))
        {
            var any = string.Join(" OR ", membership.Values.Select(v => $"r.search_attributes @> {BindUntyped(membership.Attribute.Text, v)}"));
            sql.Append(membership.Negated ? $"NOT ({any})" : $"({any})");
            return;
        }

        var (column, type) = Resolve(membership.Attribute);
        if (type == SearchAttributeTypes.Bool)
        {
            throw new InvalidVisibilityQueryException(
                $"IN needs a keyword, number or datetime attribute; [{membership.Attribute.Text}] is bool.", membership.Attribute.Position);
        }

        var values = string.Join(", ", membership.Values.Select(v => Bind(membership.Attribute.Text, type, v)));
        if (column is not null)
        {
            sql.Append(membership.Negated ? $"({column} IN ({values})) IS NOT TRUE" : $"{column} IN ({values})");
            return;
        }

        AppendExists(membership.Attribute.Text, membership.Negated, $"{ValueColumn(type)} IN ({values})", sql);
    }

    /// <summary>
    /// Groups the operands of an AND: positive comparisons on the same single-valued custom attribute (a range such as
    /// <c>DueAt &gt; a AND DueAt &lt; b</c>) become one group, answered by one index range scan instead of two
    /// semi-joins that each match half the table. A list attribute is left alone: there each bound may hold for a
    /// different element.
    /// </summary>
    private List<VisibilityExpression[]> MergeRanges(IReadOnlyList<VisibilityExpression> operands)
    {
        var groups = new List<List<VisibilityExpression>>();
        var byAttribute = new Dictionary<string, List<VisibilityExpression>>(StringComparer.Ordinal);
        foreach (var operand in operands)
        {
            if (operand is VisibilityComparison { Operator: not "!=" } comparison
                && customTypes.TryGetValue(comparison.Attribute.Text, out var type)
                && !SystemColumns.ContainsKey(comparison.Attribute.Text)
                && type != SearchAttributeTypes.KeywordList)
            {
                if (byAttribute.TryGetValue(comparison.Attribute.Text, out var group))
                {
                    group.Add(operand);
                    continue;
                }

                group = [operand];
                byAttribute[comparison.Attribute.Text] = group;
                groups.Add(group);
                continue;
            }

            groups.Add([operand]);
        }

        return [.. groups.Select(g => g.ToArray())];
    }

    private void AppendRange(List<VisibilityComparison> bounds, StringBuilder sql)
    {
        var conditions = new List<string>();
        foreach (var bound in bounds)
        {
            var type = customTypes[bound.Attribute.Text];
            CheckOperator(bound, type);
            conditions.Add($"{ValueColumn(type)} {bound.Operator} {Bind(bound.Attribute.Text, type, bound.Value)}");
        }

        AppendExists(bounds[0].Attribute.Text, false, string.Join(" AND v.", conditions), sql);
    }

    private static void CheckOperator(VisibilityComparison comparison, string type)
    {
        if (comparison.Operator is "<" or ">" or "<=" or ">="
            && type is not (SearchAttributeTypes.Int or SearchAttributeTypes.Double or SearchAttributeTypes.Datetime))
        {
            throw new InvalidVisibilityQueryException(
                $"The operator {comparison.Operator} needs a number or datetime attribute; [{comparison.Attribute.Text}] is {type}.",
                comparison.Attribute.Position);
        }
    }

    /// <summary>
    /// A custom predicate holds when some value row of the attribute matches; its negation (<c>!=</c>, <c>NOT IN</c>)
    /// holds when none does, which includes runs without the attribute.
    /// </summary>
    private void AppendExists(string name, bool negated, string condition, StringBuilder sql)
    {
        var nameParameter = Add(name, NpgsqlDbType.Text);
        sql.Append(CultureInfo.InvariantCulture,
            $"""
            {(negated ? "NOT " : string.Empty)}EXISTS (SELECT 1 FROM workflow_search_attribute_values v WHERE v.run_id = r.id AND v.namespace = {namespaceParameter} AND v.name = {nameParameter} AND v.{condition})
            """);
    }

    /// <summary>
    /// An attribute the namespace has not defined has no typed values, but runs may still carry it in their jsonb
    /// (clients set attributes without defining them). Equality and membership fall back to JSON containment on
    /// <c>workflow_runs.search_attributes</c> (unindexed); ordering needs a type, so it needs a definition.
    /// </summary>
    private bool IsUndefined(VisibilityToken attribute) =>
        !SystemColumns.ContainsKey(attribute.Text) && !customTypes.ContainsKey(attribute.Text);

    private static InvalidVisibilityQueryException Undefined(VisibilityToken attribute) =>
        new($"Search attribute [{attribute.Text}] is not defined in this namespace; only =, != and IN work on undefined attributes.", attribute.Position);

    private string BindUntyped(string attribute, VisibilityToken literal)
    {
        JsonNode value = literal.Kind switch
        {
            VisibilityTokenKind.String => JsonValue.Create(literal.Text),
            VisibilityTokenKind.Number when decimal.TryParse(literal.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            VisibilityTokenKind.Identifier when bool.TryParse(literal.Text, out var flag) => JsonValue.Create(flag),
            _ => throw new InvalidVisibilityQueryException($"The value for [{attribute}] must be a quoted string, a number, true or false.", literal.Position),
        };
        return Add(new JsonObject { [attribute] = value }.ToJsonString(), NpgsqlDbType.Jsonb);
    }

    private (string? Column, string Type) Resolve(VisibilityToken attribute)
    {
        if (SystemColumns.TryGetValue(attribute.Text, out var system))
        {
            return system;
        }

        if (customTypes.TryGetValue(attribute.Text, out var type))
        {
            return (null, type);
        }

        throw new InvalidVisibilityQueryException($"Unknown search attribute [{attribute.Text}].", attribute.Position);
    }

    private static string ValueColumn(string type) => type switch
    {
        SearchAttributeTypes.Int or SearchAttributeTypes.Double => "number_value",
        SearchAttributeTypes.Bool => "bool_value",
        SearchAttributeTypes.Datetime => "time_value",
        _ => "keyword_value",
    };

    /// <summary>Checks a literal against the attribute's type and binds it as a parameter of the matching SQL type.</summary>
    private string Bind(string attribute, string type, VisibilityToken literal)
    {
        switch (type)
        {
            case SearchAttributeTypes.Int or SearchAttributeTypes.Double:
                if (literal.Kind == VisibilityTokenKind.Number
                    && decimal.TryParse(literal.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    return Add(number, NpgsqlDbType.Numeric);
                }

                throw Mismatch(attribute, type, literal, "a number");
            case SearchAttributeTypes.Bool:
                if (literal.Kind is VisibilityTokenKind.Identifier or VisibilityTokenKind.String
                    && bool.TryParse(literal.Text, out var flag))
                {
                    return Add(flag, NpgsqlDbType.Boolean);
                }

                throw Mismatch(attribute, type, literal, "true or false");
            case SearchAttributeTypes.Datetime:
                if (literal.Kind == VisibilityTokenKind.String && SearchAttributeValue.ParseTime(literal.Text) is { } time)
                {
                    return Add(time, NpgsqlDbType.TimestampTz);
                }

                throw Mismatch(attribute, type, literal, "a quoted ISO-8601 datetime");
            default:
                if (literal.Kind == VisibilityTokenKind.String)
                {
                    return Add(literal.Text, NpgsqlDbType.Text);
                }

                throw Mismatch(attribute, type, literal, "a quoted string");
        }
    }

    private static InvalidVisibilityQueryException Mismatch(string attribute, string type, VisibilityToken literal, string expected) =>
        new($"The value for [{attribute}] ({type}) must be {expected}.", literal.Position);

    private string Add(object value, NpgsqlDbType type)
    {
        parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
    }
}
