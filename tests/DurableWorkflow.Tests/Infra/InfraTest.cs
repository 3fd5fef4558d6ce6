namespace DurableWorkflow.Tests.Infra;

/// <summary>Shared cancellation for the infra tests: xunit 2 has no per-test token, so one safety net bounds the run.</summary>
internal static class InfraTest
{
    private static readonly CancellationTokenSource Safety = new(TimeSpan.FromMinutes(20));

    public static CancellationToken Token => Safety.Token;
}
