namespace DurableWorkflow.Core.SearchAttributes.Visibility;

/// <summary>
/// How the list <c>query</c> parameter is read. Workflow ids are limited to <c>[a-zA-Z0-9._:-]</c>, so a query with
/// any of <c>= &lt; &gt; ! ( ) " '</c> cannot be a fragment of one: such a query is a visibility predicate and must
/// parse. Anything else keeps upstream's meaning, a substring of the workflow id or business key.
/// </summary>
public static class VisibilityQuery
{
    private static readonly System.Buffers.SearchValues<char> PredicateMarkers = System.Buffers.SearchValues.Create("=<>!()\"'");

    public static bool IsPredicate(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.AsSpan().ContainsAny(PredicateMarkers);
    }
}
