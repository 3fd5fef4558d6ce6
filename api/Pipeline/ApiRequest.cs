using System.Text.Json;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>What the pipeline established about a request before its endpoint runs.</summary>
public sealed class ApiRequest
{
    private static readonly object Key = new();

    /// <summary>The route being served; its policy decides the plane every answer is written in.</summary>
    public ApiRoute? Route { get; set; }

    public JsonElement? Body { get; set; }

    public Principal? Principal { get; set; }

    public string Namespace { get; set; } = string.Empty;

    public static ApiRequest Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items[Key] is not ApiRequest request)
        {
            request = new ApiRequest();
            context.Items[Key] = request;
        }

        return request;
    }
}
