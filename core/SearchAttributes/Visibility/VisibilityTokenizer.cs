using System.Text;

namespace DurableWorkflow.Core.SearchAttributes.Visibility;

/// <summary>
/// Splits a visibility query into tokens: identifiers, the keywords <c>AND OR NOT IN</c> (any case), quoted strings
/// (<c>"..."</c> or <c>'...'</c>, backslash escapes the next character), numbers, comparison operators, parentheses
/// and commas. Anything else is refused with its position.
/// </summary>
public static class VisibilityTokenizer
{
    public static IReadOnlyList<VisibilityToken> Tokenize(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var tokens = new List<VisibilityToken>();
        var i = 0;
        while (i < query.Length)
        {
            var c = query[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            switch (c)
            {
                case '(':
                    tokens.Add(new(VisibilityTokenKind.OpenParen, "(", start));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new(VisibilityTokenKind.CloseParen, ")", start));
                    i++;
                    continue;
                case ',':
                    tokens.Add(new(VisibilityTokenKind.Comma, ",", start));
                    i++;
                    continue;
                case '"' or '\'':
                    tokens.Add(ReadString(query, ref i));
                    continue;
                case '=' or '<' or '>' or '!':
                    tokens.Add(ReadOperator(query, ref i));
                    continue;
            }

            if (char.IsAsciiDigit(c) || (c is '-' or '.' && i + 1 < query.Length && char.IsAsciiDigit(query[i + 1])))
            {
                tokens.Add(ReadNumber(query, ref i));
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < query.Length && (char.IsAsciiLetterOrDigit(query[i]) || query[i] == '_'))
                {
                    i++;
                }

                var word = query[start..i];
                tokens.Add(new(Keyword(word), word, start));
                continue;
            }

            throw new InvalidVisibilityQueryException($"Unexpected character '{c}'.", start);
        }

        tokens.Add(new(VisibilityTokenKind.End, string.Empty, query.Length));
        return tokens;
    }

    private static VisibilityTokenKind Keyword(string word) => word.ToUpperInvariant() switch
    {
        "AND" => VisibilityTokenKind.And,
        "OR" => VisibilityTokenKind.Or,
        "NOT" => VisibilityTokenKind.Not,
        "IN" => VisibilityTokenKind.In,
        _ => VisibilityTokenKind.Identifier,
    };

    private static VisibilityToken ReadString(string query, ref int i)
    {
        var start = i;
        var quote = query[i++];
        var value = new StringBuilder();
        while (i < query.Length)
        {
            var c = query[i++];
            if (c == quote)
            {
                return new(VisibilityTokenKind.String, value.ToString(), start);
            }

            if (c == '\\')
            {
                if (i >= query.Length)
                {
                    break;
                }

                c = query[i++];
            }

            value.Append(c);
        }

        throw new InvalidVisibilityQueryException("Unterminated string literal.", start);
    }

    private static VisibilityToken ReadOperator(string query, ref int i)
    {
        var start = i;
        var next = i + 1 < query.Length ? query[i + 1] : '\0';
        var op = (query[i], next) switch
        {
            ('=', _) => "=",
            ('!', '=') => "!=",
            ('<', '>') => "!=",
            ('<', '=') => "<=",
            ('>', '=') => ">=",
            ('<', _) => "<",
            ('>', _) => ">",
            _ => throw new InvalidVisibilityQueryException("Unexpected character '!'; did you mean '!='?", start),
        };
        i += op.Length == 2 || (query[i], next) == ('<', '>') ? 2 : 1;
        return new(VisibilityTokenKind.Operator, op, start);
    }

    private static VisibilityToken ReadNumber(string query, ref int i)
    {
        var start = i;
        if (query[i] == '-')
        {
            i++;
        }

        while (i < query.Length && (char.IsAsciiDigit(query[i]) || query[i] == '.'))
        {
            i++;
        }

        if (i < query.Length && query[i] is 'e' or 'E')
        {
            i++;
            if (i < query.Length && query[i] is '+' or '-')
            {
                i++;
            }

            while (i < query.Length && char.IsAsciiDigit(query[i]))
            {
                i++;
            }
        }

        if (i < query.Length && (char.IsAsciiLetter(query[i]) || query[i] == '_'))
        {
            throw new InvalidVisibilityQueryException($"Malformed number '{query[start..(i + 1)]}'.", start);
        }

        return new(VisibilityTokenKind.Number, query[start..i], start);
    }
}
