using System.Globalization;

namespace DurableWorkflow.Core.Http;

/// <summary>The two UTC timestamp encodings the upstream server emits; fields keep their format for fixture parity.</summary>
public static class WireTime
{
    /// <summary><c>2026-04-22T05:00:00+00:00</c>: health, namespaces, schedules.</summary>
    public static string Offset(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);

    /// <summary><c>2026-04-22T05:00:00.000000Z</c>: workflows, history, workers, metrics.</summary>
    public static string Micro(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
