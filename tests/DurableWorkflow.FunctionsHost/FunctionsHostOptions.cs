namespace DurableWorkflow.FunctionsHost;

/// <summary>Bounds on the stand-in's waits, so a worker that hangs fails the test instead of stalling it.</summary>
public sealed record FunctionsHostOptions
{
    /// <summary>Each start-up step (StartStream, init, metadata, each load) must answer within this.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>An invocation (and its forwarded HTTP request) must finish within this; it covers 30 s long polls.</summary>
    public TimeSpan InvocationTimeout { get; init; } = TimeSpan.FromSeconds(90);
}
