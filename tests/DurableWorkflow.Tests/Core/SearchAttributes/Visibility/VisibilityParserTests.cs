using DurableWorkflow.Core.SearchAttributes.Visibility;

namespace DurableWorkflow.Tests.Core.SearchAttributes.Visibility;

public sealed class VisibilityParserTests
{
    [Fact]
    public void equality_with_a_double_quoted_string()
    {
        var comparison = Assert.IsType<VisibilityComparison>(VisibilityParser.Parse("CustomerId=\"42\""));
        Assert.Equal("CustomerId", comparison.Attribute.Text);
        Assert.Equal("=", comparison.Operator);
        Assert.Equal(VisibilityTokenKind.String, comparison.Value.Kind);
        Assert.Equal("42", comparison.Value.Text);
        Assert.Equal(11, comparison.Value.Position);
    }

    [Theory]
    [InlineData("A != 'x'", "!=")]
    [InlineData("A <> 'x'", "!=")]
    [InlineData("A < 1", "<")]
    [InlineData("A > 1", ">")]
    [InlineData("A <= 1", "<=")]
    [InlineData("A >= 1", ">=")]
    public void comparison_operators(string query, string op) =>
        Assert.Equal(op, Assert.IsType<VisibilityComparison>(VisibilityParser.Parse(query)).Operator);

    [Fact]
    public void and_binds_tighter_than_or_and_parentheses_override()
    {
        var or = Assert.IsType<VisibilityJunction>(VisibilityParser.Parse("A = 1 OR B = 2 AND C = 3"));
        Assert.False(or.IsAnd);
        Assert.IsType<VisibilityComparison>(or.Operands[0]);
        Assert.True(Assert.IsType<VisibilityJunction>(or.Operands[1]).IsAnd);

        var and = Assert.IsType<VisibilityJunction>(VisibilityParser.Parse("(A = 1 or B = 2) and C = 3"));
        Assert.True(and.IsAnd);
        Assert.False(Assert.IsType<VisibilityJunction>(and.Operands[0]).IsAnd);
    }

    [Fact]
    public void long_chains_stay_flat()
    {
        var query = string.Join(" AND ", Enumerable.Range(0, 200).Select(i => $"A = {i}"));
        Assert.Equal(200, Assert.IsType<VisibilityJunction>(VisibilityParser.Parse(query)).Operands.Count);
    }

    [Fact]
    public void in_and_not_in_lists()
    {
        var inList = Assert.IsType<VisibilityMembership>(VisibilityParser.Parse("Status IN ('running', \"waiting\")"));
        Assert.False(inList.Negated);
        Assert.Equal(["running", "waiting"], inList.Values.Select(v => v.Text));

        var notIn = Assert.IsType<VisibilityMembership>(VisibilityParser.Parse("Priority not in (1,2,3)"));
        Assert.True(notIn.Negated);
        Assert.Equal(3, notIn.Values.Count);
    }

    [Fact]
    public void escapes_and_sql_metacharacters_stay_inside_the_literal()
    {
        var comparison = Assert.IsType<VisibilityComparison>(VisibilityParser.Parse("""A = "x\"'; DROP TABLE workflow_runs; --" """));
        Assert.Equal("x\"'; DROP TABLE workflow_runs; --", comparison.Value.Text);
    }

    [Theory]
    [InlineData("CustomerId=", 11, "ended")]
    [InlineData("CustomerId \"42\"", 11, "comparison operator")]
    [InlineData("= \"42\"", 0, "attribute name")]
    [InlineData("A = \"unterminated", 4, "Unterminated")]
    [InlineData("A = 1 B = 2", 6, "AND, OR")]
    [InlineData("(A = 1", 6, "')'")]
    [InlineData("A = 1)", 5, "AND, OR")]
    [InlineData("A IN ()", 6, "value")]
    [InlineData("A IN (1,", 8, "value")]
    [InlineData("A NOT = 1", 6, "IN")]
    [InlineData("A = 1 AND", 9, "ended")]
    [InlineData("A == 1", 3, "value")]
    [InlineData("A ! 1", 2, "!=")]
    [InlineData("A = 1; DELETE FROM workflow_runs", 5, "Unexpected character ';'")]
    [InlineData("A = 12abc", 4, "Malformed number")]
    [InlineData("A = (1)", 4, "value")]
    [InlineData("  ", 0, "empty")]
    public void malformed_queries_name_the_position(string query, int position, string fragment)
    {
        var error = Assert.Throws<InvalidVisibilityQueryException>(() => VisibilityParser.Parse(query));
        Assert.Equal(position, error.Position);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void nesting_is_bounded()
    {
        var ok = new string('(', VisibilityParser.MaxDepth) + "A = 1" + new string(')', VisibilityParser.MaxDepth);
        Assert.IsType<VisibilityComparison>(VisibilityParser.Parse(ok));

        var deep = new string('(', 1000) + "A = 1" + new string(')', 1000);
        var error = Assert.Throws<InvalidVisibilityQueryException>(() => VisibilityParser.Parse(deep));
        Assert.Equal(VisibilityParser.MaxDepth, error.Position);
    }

    [Fact]
    public void length_and_value_count_are_bounded()
    {
        var tooLong = "A = \"" + new string('x', 10_000) + "\"";
        Assert.Equal(VisibilityParser.MaxLength, Assert.Throws<InvalidVisibilityQueryException>(() => VisibilityParser.Parse(tooLong)).Position);

        var many = "A IN (" + string.Join(",", Enumerable.Range(0, VisibilityParser.MaxLiterals + 1)) + ")";
        Assert.Contains("at most", Assert.Throws<InvalidVisibilityQueryException>(() => VisibilityParser.Parse(many)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CustomerId=\"42\"", true)]
    [InlineData("Priority > 3", true)]
    [InlineData("Status IN ('running')", true)]
    [InlineData("order-42", false)]
    [InlineData("wf.polyglot:list_1", false)]
    [InlineData("foo AND bar", false)]
    public void predicate_queries_are_told_apart_from_substrings(string query, bool predicate) =>
        Assert.Equal(predicate, VisibilityQuery.IsPredicate(query));
}
