using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class ProtocolVersionTests
{
    [Theory]
    [InlineData("1.0", true)]
    [InlineData("1.1", true)]
    [InlineData(" 1.1 ", true)]
    [InlineData("1.2", false)]
    [InlineData("2.0", false)]
    [InlineData("0.1", false)]
    [InlineData("1", false)]
    [InlineData("1.1.0", false)]
    [InlineData("v1.1", false)]
    [InlineData("1.x", false)]
    [InlineData("", false)]
    public void worker_protocol_accepts_same_major_and_minor_up_to_the_advertised_one(string requested, bool accepted)
    {
        var gate = new VersionGate(Settings.Minimal() with { WorkerProtocolVersion = "1.1" });

        var error = gate.CheckWorkerProtocol(requested);

        Assert.Equal(accepted, error is null);
        if (!accepted)
        {
            Assert.Equal(requested.Trim().Length == 0 ? "missing_protocol_version" : "unsupported_protocol_version", error!.Reason);
            Assert.Equal("1.1", (string?)error.Details["supported_version"]);
        }
    }

    [Theory]
    [InlineData("2", null)]
    [InlineData(" 2 ", null)]
    [InlineData(null, "missing_control_plane_version")]
    [InlineData("  ", "missing_control_plane_version")]
    [InlineData("2.0", "unsupported_control_plane_version")]
    [InlineData("02", "unsupported_control_plane_version")]
    [InlineData("v2", "unsupported_control_plane_version")]
    [InlineData("1", "unsupported_control_plane_version")]
    public void control_plane_accepts_exactly_version_2(string? header, string? reason)
    {
        var error = VersionGate.CheckControlPlane(header);

        Assert.Equal(reason, error?.Reason);
        if (error is not null)
        {
            Assert.Equal(400, error.Status);
            Assert.Equal("2", (string?)error.Details["supported_version"]);
        }
    }
}

internal static class Settings
{
    public static ServerSettings Minimal(AuthSettings? auth = null) => new()
    {
        DatabaseConnection = "Host=127.0.0.1",
        Auth = auth ?? new AuthSettings(),
        ServerId = "test-node",
        ServerBuildId = "test-build",
    };
}
