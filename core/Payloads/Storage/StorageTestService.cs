using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Namespaces;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>
/// <c>POST /api/storage/test</c> (control-plane spec §11.1): writes a small and a large payload through the namespace's
/// driver, reads each back, verifies its SHA-256 and deletes it. Every failure is a 422 with <c>status: failed</c>; an
/// integrity mismatch is <c>integrity_mismatch</c> (upstream lets it escape as a 500).
/// </summary>
public sealed class StorageTestService(NamespaceRepository namespaces, PayloadStorageDrivers drivers, ILogger<StorageTestService> logger)
{
    public const int MaxSmallPayloadBytes = 1_048_576;
    public const int MaxLargePayloadBytes = 16_777_216;

    /// <summary>The drivers this runtime can actually test (s3 and gcs have no driver here).</summary>
    public static readonly IReadOnlyList<string> DiagnosticDrivers = ["local", "azure"];

    public async Task<ApiResult<JsonObject>> TestAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var v = new RequestValidator(body);
        var requested = v.OneOf("driver", StoragePolicy.Drivers);
        var smallBytes = v.Integer("small_payload_bytes", required: true, min: 1, max: MaxSmallPayloadBytes);
        var largeBytes = v.Integer("large_payload_bytes", required: true, min: 1, max: MaxLargePayloadBytes);
        if (!v.IsValid)
        {
            return v.ToError();
        }

        var record = await namespaces.FindAsync(ns, cancellationToken);
        var policy = StoragePolicy.From(record?.ExternalPayloadStorage);
        if (policy is null)
        {
            return Failed("external_storage_not_configured", "External payload storage is not configured for this namespace.", ns, requested);
        }

        var driverName = requested ?? policy.Driver;
        if (!policy.Enabled)
        {
            return Failed("external_storage_disabled", "External payload storage is disabled for this namespace.", ns, driverName);
        }

        if (driverName != policy.Driver)
        {
            return Failed("storage_driver_unavailable", $"The requested driver {driverName} is not the one configured for this namespace ({policy.Driver}).",
                    ns, driverName)
                .With("supported_diagnostic_drivers", Drivers(DiagnosticDrivers));
        }

        var resolution = drivers.Resolve(policy);
        if (resolution.Driver is not { } driver)
        {
            return Failed("storage_driver_unavailable",
                    "The server can persist this storage policy, but the configured storage driver is not available in this runtime.", ns, driverName)
                .With("configuration_error", resolution.ConfigurationError)
                .With("supported_diagnostic_drivers", Drivers(DiagnosticDrivers));
        }

        var run = Ulid.NewId();
        var results = new JsonObject[2];
        var payloads = new (string Kind, int Bytes)[] { ("small", smallBytes!.Value), ("large", largeBytes!.Value) };
        for (var i = 0; i < payloads.Length; i++)
        {
            var (kind, bytes) = payloads[i];
            var outcome = await RoundTripAsync(driver, ns, $"{ns}/storage-test/{run}-{kind}", kind, bytes, cancellationToken);
            if (outcome.Error is { } error)
            {
                return error;
            }

            results[i] = outcome.Value!;
        }

        logger.TestPassed(ns, driverName, smallBytes.Value, largeBytes.Value);
        return ApiResult<JsonObject>.Ok(new JsonObject
        {
            ["status"] = "passed",
            ["namespace"] = ns,
            ["driver"] = driverName,
            ["small_payload"] = results[0],
            ["large_payload"] = results[1],
        });
    }

    private async Task<ApiResult<JsonObject>> RoundTripAsync(
        IPayloadStorageDriver driver, string ns, string key, string kind, int bytes, CancellationToken cancellationToken)
    {
        var payload = new byte[bytes];
        Array.Fill(payload, kind == "small" ? (byte)'s' : (byte)'l');
        var expected = Convert.ToHexStringLower(SHA256.HashData(payload));
        string? reference = null;
        try
        {
            reference = await driver.PutAsync(key, payload, cancellationToken);
            var read = await driver.GetAsync(reference, cancellationToken);
            var actual = Convert.ToHexStringLower(SHA256.HashData(read));
            var stored = reference;
            await driver.DeleteAsync(reference, cancellationToken);
            reference = null;
            if (actual != expected)
            {
                logger.IntegrityMismatch(ns, driver.Name, kind, expected, actual);
                return Failed("integrity_mismatch", $"The {kind} payload read back from the {driver.Name} driver does not match what was written.", ns, driver.Name)
                    .With("payload", kind)
                    .With("bytes", bytes)
                    .With("read_bytes", read.Length)
                    .With("expected_sha256", expected)
                    .With("actual_sha256", actual);
            }

            return ApiResult<JsonObject>.Ok(new JsonObject
            {
                ["status"] = "passed",
                ["bytes"] = bytes,
                ["sha256"] = expected,
                ["reference_uri"] = stored,
            });
        }
        catch (PayloadStorageException ex)
        {
            logger.DriverFailed(ns, driver.Name, ex);
            return Failed("storage_driver_unavailable", $"The {driver.Name} driver failed the {kind} payload round trip: {ex.Message}", ns, driver.Name)
                .With("payload", kind)
                .With("supported_diagnostic_drivers", Drivers(DiagnosticDrivers));
        }
        finally
        {
            if (reference is not null)
            {
                await DeleteQuietlyAsync(driver, reference);
            }
        }
    }

    /// <summary>Best-effort cleanup after a failed round trip; the failure already answers the request.</summary>
    private static async Task DeleteQuietlyAsync(IPayloadStorageDriver driver, string reference)
    {
        try
        {
            await driver.DeleteAsync(reference, CancellationToken.None);
        }
        catch (PayloadStorageException)
        {
            // The round trip's own failure is what the caller needs to see.
        }
    }

    private static ApiError Failed(string reason, string message, string ns, string? driver) =>
        new ApiError(422, reason, message)
            .With("status", "failed")
            .With("namespace", ns)
            .With("driver", driver);

    private static JsonArray Drivers(IEnumerable<string> names) => [.. names.Select(n => JsonValue.Create(n))];
}
