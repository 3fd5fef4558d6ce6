using DurableWorkflow.Core.Readiness;

namespace DurableWorkflow.Api.Hosting;

/// <summary>Runs <see cref="BootAdmission"/> once when the host starts, in both hosts.</summary>
public sealed class BootAdmissionService(BootAdmission admission) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        admission.Run();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
