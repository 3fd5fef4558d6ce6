namespace DurableWorkflow.Core.SearchAttributes.Visibility;

/// <summary>The syntax tree of a visibility query.</summary>
public abstract record VisibilityExpression;

/// <summary>All (<c>AND</c>) or any (<c>OR</c>) of the operands; n-ary so long chains don't nest.</summary>
public sealed record VisibilityJunction(bool IsAnd, IReadOnlyList<VisibilityExpression> Operands) : VisibilityExpression;

/// <summary><c>Attr op literal</c> with op one of <c>= != &lt; &gt; &lt;= &gt;=</c>.</summary>
public sealed record VisibilityComparison(VisibilityToken Attribute, string Operator, VisibilityToken Value) : VisibilityExpression;

/// <summary><c>Attr [NOT] IN (literal, ...)</c>.</summary>
public sealed record VisibilityMembership(VisibilityToken Attribute, bool Negated, IReadOnlyList<VisibilityToken> Values) : VisibilityExpression;
