using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>Endpoint results that write through <see cref="ApiResponses"/> in the route's plane.</summary>
public static class ApiResults
{
    public static IResult Json<T>(T value, int status = StatusCodes.Status200OK) => new JsonResult<T>(value, status);

    public static IResult Error(ApiError error) => new ErrorResult(error);

    public static IResult From<T>(ApiResult<T> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Error is { } error ? Error(error) : Json(result.Value, result.Status);
    }

    private static ApiPlane PlaneOf(HttpContext context) =>
        ApiRequest.Of(context).Route?.Policy.Plane ?? ApiPlane.ControlPlane;

    private sealed record JsonResult<T>(T Value, int Status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) =>
            httpContext.RequestServices.GetRequiredService<ApiResponses>().WriteJsonAsync(httpContext, Value, Status, PlaneOf(httpContext));
    }

    private sealed record ErrorResult(ApiError Error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) =>
            httpContext.RequestServices.GetRequiredService<ApiResponses>().WriteErrorAsync(httpContext, Error, PlaneOf(httpContext));
    }
}
