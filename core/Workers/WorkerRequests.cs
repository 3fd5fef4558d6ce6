using System.Globalization;
using System.Text.Json;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workers;

/// <summary>A validated <c>POST /api/worker/register</c> body (worker protocol §2.1).</summary>
public sealed record RegistrationRequest
{
    /// <summary>Null when the worker sent none (or only whitespace): the server then generates a ULID.</summary>
    public string? WorkerId { get; init; }

    public required string TaskQueue { get; init; }

    public required string Runtime { get; init; }

    public string? SdkVersion { get; init; }

    public string? BuildId { get; init; }

    /// <summary>Null when the key was omitted; fingerprint carry-over then uses the previously stored types.</summary>
    public IReadOnlyList<string>? SupportedWorkflowTypes { get; init; }

    public IReadOnlyList<string> SupportedActivityTypes { get; init; } = [];

    /// <summary>Workflow type → fingerprint in request order, so a conflict names the first changed type.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fingerprints { get; init; } = [];

    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public string WorkflowCommandContractsJson { get; init; } = "{}";

    public int MaxConcurrentWorkflowTasks { get; init; } = WorkerRequestReader.DefaultConcurrency;

    public int MaxConcurrentActivityTasks { get; init; } = WorkerRequestReader.DefaultConcurrency;

    public WorkerTelemetry Telemetry { get; init; } = WorkerTelemetry.None;
}

/// <summary>A validated <c>POST /api/worker/heartbeat</c> body (worker protocol §2.2).</summary>
public sealed record HeartbeatRequest(string WorkerId, WorkerTelemetry Telemetry);

/// <summary>The optional self-reported fields newer SDKs send on register and heartbeat; kept for the management API.</summary>
public sealed record WorkerTelemetry(string? TaskSlotsJson, string? ProcessMetricsJson, int? HeartbeatIntervalSeconds, string? Host, string? ProcessId)
{
    public static WorkerTelemetry None { get; } = new(null, null, null, null, null);
}

/// <summary>
/// Parses worker-plane bodies with Laravel's rules and messages. Unknown keys are ignored, and PHP clients' empty
/// <c>[]</c> is accepted wherever an object is expected, because PHP encodes an empty map that way.
/// </summary>
public static class WorkerRequestReader
{
    public const int DefaultConcurrency = 100;

    // Column widths of workflow_worker_registrations; longer values would fail in the database instead of with a 422.
    private const int IdLength = 255;
    private const int RuntimeLength = 64;
    private const int SdkVersionLength = 64;
    private const int FingerprintLength = 255;

    public static ApiResult<RegistrationRequest> ReadRegistration(JsonElement? body)
    {
        var input = new RequestValidator(body);
        var workerId = input.String("worker_id", maxLength: IdLength);
        var taskQueue = RequiredText(input, "task_queue", IdLength);
        var runtime = RequiredText(input, "runtime", RuntimeLength);
        var sdkVersion = input.String("sdk_version", maxLength: SdkVersionLength);
        var buildId = input.String("build_id", maxLength: IdLength);
        var workflowTypes = StringList(input, body, "supported_workflow_types");
        var activityTypes = StringList(input, body, "supported_activity_types");
        var capabilities = StringList(input, body, "capabilities");
        var fingerprints = Fingerprints(input, body);
        var contracts = ObjectJson(input, body, "workflow_command_contracts");
        var maxWorkflow = PositiveInteger(input, "max_concurrent_workflow_tasks");
        var maxActivity = PositiveInteger(input, "max_concurrent_activity_tasks");
        var telemetry = Telemetry(input, body);
        if (!input.IsValid)
        {
            return input.ToError();
        }

        return ApiResult<RegistrationRequest>.Ok(new RegistrationRequest
        {
            // Laravel turns "" into null before validation, so an empty id also means "generate one".
            WorkerId = string.IsNullOrWhiteSpace(workerId) ? null : workerId,
            TaskQueue = taskQueue!,
            Runtime = runtime!,
            SdkVersion = string.IsNullOrEmpty(sdkVersion) ? null : sdkVersion,
            BuildId = string.IsNullOrEmpty(buildId) ? null : buildId,
            SupportedWorkflowTypes = workflowTypes,
            SupportedActivityTypes = activityTypes ?? [],
            Fingerprints = fingerprints,
            Capabilities = capabilities ?? [],
            WorkflowCommandContractsJson = contracts ?? "{}",
            MaxConcurrentWorkflowTasks = maxWorkflow ?? DefaultConcurrency,
            MaxConcurrentActivityTasks = maxActivity ?? DefaultConcurrency,
            Telemetry = telemetry,
        });
    }

    public static ApiResult<HeartbeatRequest> ReadHeartbeat(JsonElement? body)
    {
        var input = new RequestValidator(body);
        var workerId = RequiredText(input, "worker_id", IdLength);
        var telemetry = Telemetry(input, body);
        if (!input.IsValid)
        {
            return input.ToError();
        }

        return ApiResult<HeartbeatRequest>.Ok(new HeartbeatRequest(workerId!, telemetry));
    }

    private static string? RequiredText(RequestValidator input, string field, int maxLength)
    {
        var value = input.String(field, required: true, maxLength: maxLength);
        if (value is { Length: > 0 } && string.IsNullOrWhiteSpace(value))
        {
            // Laravel trims strings before validation, so whitespace alone is "missing".
            input.AddError(field, $"The {Label(field)} field is required.");
            return null;
        }

        return value;
    }

    private static int? PositiveInteger(RequestValidator input, string field)
    {
        var value = input.Integer(field);
        if (value is < 1)
        {
            input.AddError(field, $"The {Label(field)} field must be at least 1.");
            return null;
        }

        return value;
    }

    private static List<string>? StringList(RequestValidator input, JsonElement? body, string field)
    {
        if (!TryGet(body, field, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            input.AddError(field, $"The {Label(field)} field must be an array.");
            return null;
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{field}.{index}");
            if (item.ValueKind != JsonValueKind.String)
            {
                input.AddError(path, $"The {path} field must be a string.");
            }
            else
            {
                items.Add(item.GetString()!);
            }

            index++;
        }

        return items;
    }

    private static List<KeyValuePair<string, string>> Fingerprints(RequestValidator input, JsonElement? body)
    {
        const string field = "workflow_definition_fingerprints";
        var result = new List<KeyValuePair<string, string>>();
        if (!TryGet(body, field, out var value) || IsEmptyArray(value))
        {
            return result;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            input.AddError(field, $"The {Label(field)} field must be an object.");
            return result;
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var path = $"{field}.{property.Name}";
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                input.AddError(path, $"The {path} field must be a string.");
                continue;
            }

            var fingerprint = property.Value.GetString()!;
            if (fingerprint.Length > FingerprintLength)
            {
                input.AddError(path, string.Create(CultureInfo.InvariantCulture, $"The {path} field must not be greater than {FingerprintLength} characters."));
                continue;
            }

            // A repeated key keeps its first position and its last value, as a JSON decoder would.
            if (seen.TryGetValue(property.Name, out var at))
            {
                result[at] = new(property.Name, fingerprint);
            }
            else
            {
                seen[property.Name] = result.Count;
                result.Add(new(property.Name, fingerprint));
            }
        }

        return result;
    }

    private static WorkerTelemetry Telemetry(RequestValidator input, JsonElement? body)
    {
        var slots = ObjectJson(input, body, "task_slots");
        var metrics = ObjectJson(input, body, "process_metrics");
        var interval = PositiveInteger(input, "heartbeat_interval_seconds");
        string? host = null;
        string? processId = null;
        if (metrics is not null && TryGet(body, "process_metrics", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            host = Scalar(m, "host", 255);
            processId = Scalar(m, "process_id", 64);
        }

        return new WorkerTelemetry(slots, metrics, interval, host, processId);
    }

    /// <summary>A string or number field of a telemetry object, cut to its column width; anything else is dropped.</summary>
    private static string? Scalar(JsonElement obj, string field, int maxLength)
    {
        if (!obj.TryGetProperty(field, out var value))
        {
            return null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        return string.IsNullOrEmpty(text) ? null : text[..Math.Min(text.Length, maxLength)];
    }

    private static string? ObjectJson(RequestValidator input, JsonElement? body, string field)
    {
        if (!TryGet(body, field, out var value))
        {
            return null;
        }

        if (IsEmptyArray(value))
        {
            return "{}";
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            input.AddError(field, $"The {Label(field)} field must be an object.");
            return null;
        }

        return value.GetRawText();
    }

    private static bool TryGet(JsonElement? body, string field, out JsonElement value)
    {
        value = default;
        return body is { ValueKind: JsonValueKind.Object } obj
               && obj.TryGetProperty(field, out value)
               && value.ValueKind != JsonValueKind.Null;
    }

    private static bool IsEmptyArray(JsonElement value) => value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0;

    private static string Label(string field) => field.Replace('_', ' ');
}
