using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Http;

/// <summary>
/// One answer of the server: the status, the parsed JSON body (null when the body is empty or not JSON) and the
/// worker-protocol version header the worker plane must carry.
/// </summary>
public sealed record ServerResponse(int Status, JsonNode? Body, string Text, string? ProtocolVersion = null)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}
