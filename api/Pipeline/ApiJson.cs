using System.Text.Encodings.Web;
using System.Text.Json;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>One serializer configuration for every API answer; wire names come from each record's attributes.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
