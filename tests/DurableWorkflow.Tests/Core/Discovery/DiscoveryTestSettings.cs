using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Discovery;

namespace DurableWorkflow.Tests.Core.Discovery;

internal static class DiscoveryTestSettings
{
    public static ServerSettings Create() => new()
    {
        DatabaseConnection = "Host=localhost;Database=dw",
        Auth = new AuthSettings(),
        ServerId = "node-a",
        ServerBuildId = "build-2026-08-22",
    };

    public static ClusterInfo Build(ServerSettings settings, string requestNamespace = "default", TimeProvider? time = null) =>
        new ClusterInfoBuilder(settings, time).Build(requestNamespace, WorkerFleetSummary.Empty(requestNamespace), TaskRepairSnapshot.Default);
}
