namespace DurableWorkflow.Core.Storage;

/// <summary>Pieces of row lists shared by statements that answer in one of two row shapes.</summary>
public static class SqlRows
{
    /// <summary>
    /// <paramref name="count"/> NULL columns: the columns a <c>UNION ALL</c> branch leaves empty, typed by the branch
    /// that fills them.
    /// </summary>
    public static string Nulls(int count) => string.Join(", ", Enumerable.Repeat("NULL", count));
}
