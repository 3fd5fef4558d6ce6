using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using Microsoft.AspNetCore.Http;

namespace DurableWorkflow.Functions;

/// <summary>The one line every HTTP function is: hand the request to the host-neutral pipeline.</summary>
public static class PipelineAdapter
{
    /// <summary>
    /// The pipeline writes the whole answer to <c>HttpContext.Response</c> and never throws. The function still returns
    /// an <see cref="IResult"/>: that gives it the <c>$return</c> http output binding every HTTP function has, and the
    /// ASP.NET Core integration executes the returned result after the function, so it must be one that writes nothing
    /// (<see cref="Results.Empty"/>). A plain <c>Task</c> works too but declares no output binding.
    /// </summary>
    public static async Task<IResult> ServeAsync(this ApiPipeline pipeline, HttpRequest request, ApiRoute route)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        await pipeline.InvokeAsync(request.HttpContext, route);
        return Results.Empty;
    }

    /// <summary>The JSON 404 (or 405) for a path no route function took.</summary>
    public static async Task<IResult> NotFoundAsync(this ApiPipeline pipeline, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        await pipeline.NotFoundAsync(request.HttpContext);
        return Results.Empty;
    }
}
