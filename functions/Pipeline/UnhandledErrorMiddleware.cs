namespace DurableWorkflow.Functions.Pipeline;

/// <summary>
/// A bug must not leak internals to callers: log it, answer the framework's plain 500 (clients retry 5xx), and let the
/// transaction that failed roll back so nothing half-written survives.
/// </summary>
public sealed class UnhandledErrorMiddleware(RequestDelegate next, ILogger<UnhandledErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            logger.LogError(ex, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"message":"Server Error"}""", CancellationToken.None);
        }
    }
}
