namespace DurableWorkflow.Core.SearchAttributes.Visibility;

/// <summary>
/// Recursive-descent parser for visibility queries:
/// <code>
/// query      := or END
/// or         := and ( OR and )*
/// and        := primary ( AND primary )*
/// primary    := '(' or ')' | predicate
/// predicate  := IDENT op literal | IDENT [NOT] IN '(' literal ( ',' literal )* ')'
/// literal    := STRING | NUMBER | IDENT   (an identifier literal is only valid as true/false)
/// </code>
/// Length, parenthesis depth and the number of literals are bounded, so hostile input costs little and fails with a
/// position instead of exhausting the stack or the parameter limit.
/// </summary>
public sealed class VisibilityParser
{
    public const int MaxLength = 4096;
    public const int MaxDepth = 16;
    public const int MaxLiterals = 256;

    private readonly IReadOnlyList<VisibilityToken> tokens;
    private int index;
    private int literals;

    private VisibilityParser(IReadOnlyList<VisibilityToken> tokens) => this.tokens = tokens;

    private VisibilityToken Current => tokens[index];

    public static VisibilityExpression Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Length > MaxLength)
        {
            throw new InvalidVisibilityQueryException($"The query must not be longer than {MaxLength} characters.", MaxLength);
        }

        var parser = new VisibilityParser(VisibilityTokenizer.Tokenize(query));
        if (parser.Current.Kind == VisibilityTokenKind.End)
        {
            throw new InvalidVisibilityQueryException("The query is empty.", 0);
        }

        var expression = parser.ParseOr(0);
        if (parser.Current.Kind != VisibilityTokenKind.End)
        {
            throw parser.Unexpected("AND, OR or the end of the query");
        }

        return expression;
    }

    private VisibilityExpression ParseOr(int depth)
    {
        var operands = new List<VisibilityExpression> { ParseAnd(depth) };
        while (Accept(VisibilityTokenKind.Or))
        {
            operands.Add(ParseAnd(depth));
        }

        return operands.Count == 1 ? operands[0] : new VisibilityJunction(false, operands);
    }

    private VisibilityExpression ParseAnd(int depth)
    {
        var operands = new List<VisibilityExpression> { ParsePrimary(depth) };
        while (Accept(VisibilityTokenKind.And))
        {
            operands.Add(ParsePrimary(depth));
        }

        return operands.Count == 1 ? operands[0] : new VisibilityJunction(true, operands);
    }

    private VisibilityExpression ParsePrimary(int depth)
    {
        if (Current.Kind == VisibilityTokenKind.OpenParen)
        {
            if (depth >= MaxDepth)
            {
                throw new InvalidVisibilityQueryException($"Parentheses may nest at most {MaxDepth} deep.", Current.Position);
            }

            index++;
            var inner = ParseOr(depth + 1);
            Expect(VisibilityTokenKind.CloseParen, "')'");
            return inner;
        }

        return ParsePredicate();
    }

    private VisibilityExpression ParsePredicate()
    {
        var attribute = Expect(VisibilityTokenKind.Identifier, "a search attribute name or '('");
        if (Current.Kind == VisibilityTokenKind.Operator)
        {
            var op = tokens[index++].Text;
            return new VisibilityComparison(attribute, op, Literal());
        }

        var negated = Accept(VisibilityTokenKind.Not);
        if (!Accept(VisibilityTokenKind.In))
        {
            throw Unexpected(negated ? "IN" : "a comparison operator or IN");
        }

        Expect(VisibilityTokenKind.OpenParen, "'('");
        var values = new List<VisibilityToken> { Literal() };
        while (Accept(VisibilityTokenKind.Comma))
        {
            values.Add(Literal());
        }

        Expect(VisibilityTokenKind.CloseParen, "',' or ')'");
        return new VisibilityMembership(attribute, negated, values);
    }

    private VisibilityToken Literal()
    {
        if (Current.Kind is not (VisibilityTokenKind.String or VisibilityTokenKind.Number or VisibilityTokenKind.Identifier))
        {
            throw Unexpected("a value (a quoted string, a number, true or false)");
        }

        if (++literals > MaxLiterals)
        {
            throw new InvalidVisibilityQueryException($"The query may compare at most {MaxLiterals} values.", Current.Position);
        }

        return tokens[index++];
    }

    private bool Accept(VisibilityTokenKind kind)
    {
        if (Current.Kind != kind)
        {
            return false;
        }

        index++;
        return true;
    }

    private VisibilityToken Expect(VisibilityTokenKind kind, string expected)
    {
        if (Current.Kind != kind)
        {
            throw Unexpected(expected);
        }

        return tokens[index++];
    }

    private InvalidVisibilityQueryException Unexpected(string expected) =>
        new(Current.Kind == VisibilityTokenKind.End
                ? $"Expected {expected} but the query ended."
                : $"Expected {expected} but found '{Current.Text}'.",
            Current.Position);
}
