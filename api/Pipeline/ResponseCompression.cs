using System.IO.Compression;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Api.Pipeline;

/// <summary>
/// Compresses JSON answers of at least 1 KiB with gzip or raw deflate, as the upstream server does. The pipeline
/// buffers the answer first: answers are small JSON documents, and the size decides whether compression is worth it.
/// The fastest level: on the official clients' fixture answers of about 1 KiB (a workflow-task poll, a history page, a
/// list) zlib's level 1 output is 5-8 % larger than the default level's, for a fraction of the CPU, and every
/// workflow-task poll answer is about that size.
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
            ? new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true)
            : new DeflateStream(response.Body, CompressionLevel.Fastest, leaveOpen: true);
        await buffer.CopyToAsync(compressor, context.RequestAborted);
    }
}
