using System.IO.Compression;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Functions.Pipeline;

/// <summary>
/// Compresses JSON answers of at least 1 KiB with gzip or raw deflate, as the upstream server does. Answers are
/// buffered first: they are small JSON documents, and the size decides whether compression is worth it.
/// </summary>
public sealed class ResponseCompressionMiddleware(RequestDelegate next, ServerSettings settings)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var coding = settings.CompressionEnabled ? ResponseCoding.Choose(context.Request.Headers.AcceptEncoding) : null;
        if (coding is null)
        {
            await next(context);
            return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        var response = context.Response;
        var isJson = response.ContentType?.Contains("application/json", StringComparison.OrdinalIgnoreCase) == true;
        buffer.Position = 0;
        if (!isJson || buffer.Length < ResponseCoding.MinimumBytes || response.Headers.ContentEncoding.Count > 0)
        {
            await buffer.CopyToAsync(original, context.RequestAborted);
            return;
        }

        response.Headers.ContentEncoding = coding;
        response.Headers.Append("Vary", "Accept-Encoding");
        response.ContentLength = null;
        await using Stream compressor = coding == "gzip"
            ? new GZipStream(original, CompressionLevel.Optimal, leaveOpen: true)
            : new DeflateStream(original, CompressionLevel.Optimal, leaveOpen: true);
        await buffer.CopyToAsync(compressor, context.RequestAborted);
    }
}
