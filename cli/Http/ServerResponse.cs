using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Http;

/// <summary>One answer of the server: the status and the parsed JSON body (null when the body is empty or not JSON).</summary>
public sealed record ServerResponse(int Status, JsonNode? Body, string Text)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}
