using System.IO.Compression;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>
/// Compresses JSON answers of at least 1 KiB with gzip or raw deflate, as the upstream server does. The pipeline
/// buffers the answer first: answers are small JSON documents, and the size decides whether compression is worth it.
/// </summary>
internal static class ResponseCompression
{
    public static async Task CopyAsync(HttpContext context, MemoryStream buffer, string coding)
    {
        var response = context.Response;
        var isJson = response.ContentType?.Contains("application/json", StringComparison.OrdinalIgnoreCase) == true;
        buffer.Position = 0;
        if (!isJson || buffer.Length < ResponseCoding.MinimumBytes || response.Headers.ContentEncoding.Count > 0)
        {
            await buffer.CopyToAsync(response.Body, context.RequestAborted);
            return;
        }

        response.Headers.ContentEncoding = coding;
        response.Headers.Append("Vary", "Accept-Encoding");
        response.ContentLength = null;
        await using Stream compressor = coding == "gzip"
            ? new GZipStream(response.Body, CompressionLevel.Optimal, leaveOpen: true)
            : new DeflateStream(response.Body, CompressionLevel.Optimal, leaveOpen: true);
        await buffer.CopyToAsync(compressor, context.RequestAborted);
    }
}
