using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>External payload storage events (ids 1550–1569).</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1550, Level = LogLevel.Information,
        Message = "Storage test passed for namespace {Namespace} with driver {Driver} ({SmallBytes} and {LargeBytes} bytes)")]
    public static partial void TestPassed(this ILogger logger, string @namespace, string driver, int smallBytes, int largeBytes);

    [LoggerMessage(EventId = 1551, Level = LogLevel.Warning,
        Message = "Storage test integrity mismatch for namespace {Namespace} with driver {Driver}: {Payload} payload read back as {ActualSha256}, wrote {ExpectedSha256}")]
    public static partial void IntegrityMismatch(this ILogger logger, string @namespace, string driver, string payload, string expectedSha256, string actualSha256);

    [LoggerMessage(EventId = 1552, Level = LogLevel.Warning,
        Message = "Storage test failed for namespace {Namespace} with driver {Driver}")]
    public static partial void DriverFailed(this ILogger logger, string @namespace, string driver, Exception exception);
}
