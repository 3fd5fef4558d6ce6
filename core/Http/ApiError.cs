using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Http;

/// <summary>
/// An error answer in the documented envelope: HTTP status, machine-readable <c>reason</c>, human <c>message</c>,
/// and the reason-specific fields the clients read (<c>namespace</c>, <c>limit</c>, <c>allowed_roles</c>, ...).
/// </summary>
public sealed class ApiError
{
    public ApiError(int status, string reason, string message)
    {
        Status = status;
        Reason = reason;
        Message = message;
    }

    public int Status { get; }

    public string Reason { get; }

    public string Message { get; }

    /// <summary>Reason-specific fields, written after <c>reason</c> and <c>message</c> in insertion order.</summary>
    public JsonObject Details { get; } = [];

    public ApiError With(string field, JsonNode? value)
    {
        Details[field] = value;
        return this;
    }

    /// <summary>The body as the control plane writes it; the worker plane adds its envelope on top.</summary>
    public JsonObject ToJson()
    {
        var body = new JsonObject
        {
            ["message"] = Message,
            ["reason"] = Reason,
        };
        foreach (var (key, value) in Details)
        {
            body[key] = value?.DeepClone();
        }

        return body;
    }

    public override string ToString() => $"{Status} {Reason}: {Message}";
}
