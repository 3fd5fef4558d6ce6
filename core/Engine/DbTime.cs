namespace DurableWorkflow.Core.Engine;

/// <summary>Npgsql returns a scalar <c>timestamptz</c> as a UTC <see cref="DateTime"/>; the engine works in offsets.</summary>
public static class DbTime
{
    public static DateTimeOffset FromScalar(object? value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        _ => throw new InvalidOperationException($"Expected a timestamp, got {value?.GetType().Name ?? "null"}."),
    };
}
