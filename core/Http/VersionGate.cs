using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Http;

/// <summary>The protocol-version stage of the pipeline for both planes.</summary>
public sealed class VersionGate(ServerSettings settings)
{
    private readonly ProtocolVersion advertised = ProtocolVersion.TryParse(settings.WorkerProtocolVersion, out var v)
        ? v
        : throw new ConfigurationException("DW_WORKER_PROTOCOL_VERSION is not MAJOR.MINOR.");

    public string AdvertisedWorkerProtocol => advertised.ToString();

    /// <summary>Exactly <c>2</c> after trimming: the control plane has one version, not a range.</summary>
    public static ApiError? CheckControlPlane(string? header)
    {
        var value = header?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return ApiErrors.MissingControlPlaneVersion();
        }

        return value == ApiErrors.ControlPlaneVersion ? null : ApiErrors.UnsupportedControlPlaneVersion(value);
    }

    public ApiError? CheckWorkerProtocol(string? header)
    {
        var value = header?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return ApiErrors.MissingProtocolVersion(AdvertisedWorkerProtocol);
        }

        return ProtocolVersion.TryParse(value, out var requested) && advertised.Accepts(requested)
            ? null
            : ApiErrors.UnsupportedProtocolVersion(AdvertisedWorkerProtocol, value);
    }
}
