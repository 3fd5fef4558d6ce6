using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>Adds <c>protocol_version</c> and <c>server_capabilities</c> to every worker-plane body that lacks them.</summary>
public sealed class WorkerEnvelope(VersionGate versions, Func<JsonNode> serverCapabilities)
{
    public void Apply(JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!body.ContainsKey("protocol_version"))
        {
            body["protocol_version"] = versions.AdvertisedWorkerProtocol;
        }

        if (!body.ContainsKey("server_capabilities"))
        {
            body["server_capabilities"] = serverCapabilities();
        }
    }
}
