using System.Globalization;

namespace DurableWorkflow.Core.Http;

/// <summary>Which compression a response gets (control-plane spec §1.12): gzip or raw deflate, by q-value.</summary>
public static class ResponseCoding
{
    /// <summary>JSON bodies smaller than this are sent as they are; compressing them costs more than it saves.</summary>
    public const int MinimumBytes = 1024;

    public static IReadOnlyList<string> Supported { get; } = ["gzip", "deflate"];

    /// <summary>Returns <c>gzip</c>, <c>deflate</c> or null. gzip wins ties; <c>*</c> covers whichever is not named.</summary>
    public static string? Choose(string? acceptEncoding)
    {
        if (string.IsNullOrWhiteSpace(acceptEncoding))
        {
            return null;
        }

        double? gzip = null;
        double? deflate = null;
        double? wildcard = null;
        foreach (var part in acceptEncoding.Split(','))
        {
            var pieces = part.Split(';');
            var coding = pieces[0].Trim().ToLowerInvariant();
            var q = 1.0;
            foreach (var parameter in pieces.Skip(1))
            {
                var pair = parameter.Split('=', 2);
                if (pair.Length == 2 && pair[0].Trim().Equals("q", StringComparison.OrdinalIgnoreCase))
                {
                    q = double.TryParse(pair[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                        ? Math.Clamp(parsed, 0, 1)
                        : 0;
                }
            }

            switch (coding)
            {
                case "gzip":
                    gzip = q;
                    break;
                case "deflate":
                    deflate = q;
                    break;
                case "*":
                    wildcard = q;
                    break;
            }
        }

        var gzipQ = gzip ?? wildcard ?? 0;
        var deflateQ = deflate ?? wildcard ?? 0;
        if (gzipQ > 0 && gzipQ >= deflateQ)
        {
            return "gzip";
        }

        return deflateQ > 0 ? "deflate" : null;
    }
}
