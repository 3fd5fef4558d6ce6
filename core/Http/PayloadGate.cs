using System.Text.Json;

namespace DurableWorkflow.Core.Http;

/// <summary>The first pipeline stage: body size, media type and JSON syntax, before any authentication.</summary>
public static class PayloadGate
{
    private static readonly HashSet<string> BodyMethods = new(StringComparer.OrdinalIgnoreCase) { "POST", "PUT", "PATCH", "DELETE" };

    public static ApiError? CheckDeclaredLength(long? contentLength, int limit) =>
        contentLength > limit ? ApiErrors.PayloadTooLarge(limit) : null;

    /// <summary>Checks a body already read (at most <paramref name="limit"/> + 1 bytes) and parses it.</summary>
    public static PayloadCheck CheckBody(string method, string? contentType, ReadOnlyMemory<byte> body, int limit)
    {
        if (body.Length > limit)
        {
            return PayloadCheck.Failed(ApiErrors.PayloadTooLarge(limit));
        }

        if (!BodyMethods.Contains(method) || body.IsEmpty)
        {
            return PayloadCheck.Empty;
        }

        if (!IsJsonMediaType(contentType))
        {
            return PayloadCheck.Failed(ApiErrors.UnsupportedMediaType());
        }

        if (!RequestText.IsUtf8(body.Span))
        {
            return PayloadCheck.Failed(ApiErrors.MalformedJson("The request body is not valid UTF-8."));
        }

        try
        {
            var document = JsonDocument.Parse(body);
            return new PayloadCheck(document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return PayloadCheck.Failed(ApiErrors.MalformedJson(ex.Message));
        }
    }

    public static bool IsJsonMediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);
    }
}

/// <summary>The parsed body (absent for GET or an empty body, which endpoints treat as <c>{}</c>) or the error.</summary>
public sealed record PayloadCheck(JsonElement? Body, ApiError? Error)
{
    public static PayloadCheck Empty { get; } = new(null, null);

    public static PayloadCheck Failed(ApiError error) => new(null, error);
}
