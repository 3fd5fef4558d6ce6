using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Payloads;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>
/// The three validation layers of a completion (worker-protocol spec §3.4.1): field types, field scope, then the
/// grammar of each command type. Every problem is reported under <c>commands.N.field</c> in one 422.
/// </summary>
public static class CommandValidator
{
    private static readonly Dictionary<string, string[]> FieldScopes = new()
    {
        ["retry_policy"] = [CommandTypes.ScheduleActivity, CommandTypes.StartChildWorkflow],
        ["start_to_close_timeout"] = [CommandTypes.ScheduleActivity],
        ["schedule_to_start_timeout"] = [CommandTypes.ScheduleActivity],
        ["schedule_to_close_timeout"] = [CommandTypes.ScheduleActivity],
        ["heartbeat_timeout"] = [CommandTypes.ScheduleActivity],
        ["execution_timeout_seconds"] = [CommandTypes.StartChildWorkflow],
        ["run_timeout_seconds"] = [CommandTypes.StartChildWorkflow],
        ["parent_close_policy"] = [CommandTypes.StartChildWorkflow],
        ["non_retryable"] = [CommandTypes.FailWorkflow, CommandTypes.FailUpdate],
        ["delay_seconds"] = [CommandTypes.StartTimer],
        ["timeout_seconds"] = [CommandTypes.OpenConditionWait],
        ["exception"] = [CommandTypes.FailWorkflow],
        ["payload_codec"] =
        [
            CommandTypes.CompleteWorkflow, CommandTypes.ScheduleActivity, CommandTypes.StartChildWorkflow, CommandTypes.ContinueAsNew,
            CommandTypes.CompleteUpdate, CommandTypes.RecordSideEffect,
        ],
    };

    private static readonly string[] ParentClosePolicies = ["abandon", "request_cancel", "terminate"];

    public static ApiResult<IReadOnlyList<WorkflowCommand>> Validate(JsonNode? commandsNode)
    {
        var errors = new RequestValidator(null);
        if (commandsNode is not JsonArray array || array.Count == 0)
        {
            errors.AddError("commands", "The commands field is required.");
            return errors.ToError();
        }

        var commands = new List<WorkflowCommand>();
        for (var i = 0; i < array.Count; i++)
        {
            var prefix = $"commands.{i}";
            if (array[i] is not JsonObject raw)
            {
                errors.AddError(prefix, $"The {prefix} field must be an object.");
                continue;
            }

            var fields = (JsonObject)raw.DeepClone();
            var type = fields["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
            if (string.IsNullOrEmpty(type))
            {
                errors.AddError($"{prefix}.type", $"The {prefix}.type field is required.");
                continue;
            }

            if (!CommandTypes.All.Contains(type))
            {
                errors.AddError($"{prefix}.type", $"Workflow task command type [{type}] is not supported by the server yet.");
                continue;
            }

            ApplyAliases(fields);
            CheckTypes(fields, prefix, errors);
            CheckScopes(type, fields, prefix, errors);
            CheckGrammar(type, fields, prefix, errors);
            commands.Add(new WorkflowCommand(i, type, fields));
        }

        return errors.IsValid ? ApiResult<IReadOnlyList<WorkflowCommand>>.Ok(commands) : errors.ToError();
    }

    public static int? ReadInt(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    /// <summary>Some clients name the activity queue <c>task_queue</c> and plain arguments <c>input</c>; accept both spellings.</summary>
    private static void ApplyAliases(JsonObject fields)
    {
        if (!fields.ContainsKey("queue") && fields["task_queue"] is { } queue)
        {
            fields["queue"] = queue.DeepClone();
        }

        if (!fields.ContainsKey("arguments") && fields["input"] is { } input)
        {
            var parsed = PayloadInput.ParseArguments(input.DeepClone(), "input");
            fields["arguments"] = parsed.Envelope?.ToJson();
        }
    }

    private static void CheckTypes(JsonObject fields, string prefix, RequestValidator errors)
    {
        foreach (var key in new[] { "start_to_close_timeout", "schedule_to_start_timeout", "schedule_to_close_timeout", "heartbeat_timeout", "execution_timeout_seconds", "run_timeout_seconds" })
        {
            RequireInt(fields, key, prefix, errors, min: 1);
        }

        RequireInt(fields, "delay_seconds", prefix, errors, min: 0);
        RequireInt(fields, "timeout_seconds", prefix, errors, min: 0);
        if (fields["non_retryable"] is { } nonRetryable && nonRetryable.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            errors.AddError($"{prefix}.non_retryable", $"The {prefix}.non_retryable field must be true or false.");
        }

        if (fields["retry_policy"] is { } policy && policy.GetValueKind() != JsonValueKind.Null)
        {
            if (policy is not JsonObject retry)
            {
                errors.AddError($"{prefix}.retry_policy", $"The {prefix}.retry_policy field must be an object.");
            }
            else
            {
                RequireInt(retry, "max_attempts", $"{prefix}.retry_policy", errors, min: 1);
                if (retry["backoff_seconds"] is JsonArray backoff)
                {
                    for (var b = 0; b < backoff.Count; b++)
                    {
                        if (ReadInt(backoff[b]) is not >= 0)
                        {
                            errors.AddError($"{prefix}.retry_policy.backoff_seconds.{b}", $"The {prefix}.retry_policy.backoff_seconds.{b} field must be at least 0.");
                        }
                    }
                }
            }
        }
    }

    private static void CheckScopes(string type, JsonObject fields, string prefix, RequestValidator errors)
    {
        foreach (var (field, allowed) in FieldScopes)
        {
            if (fields[field] is { } value && value.GetValueKind() != JsonValueKind.Null && !allowed.Contains(type))
            {
                errors.AddError($"{prefix}.{field}", $"The {prefix}.{field} field is not allowed for {type} commands.");
            }
        }

        var startToClose = ReadInt(fields["start_to_close_timeout"]);
        var scheduleToClose = ReadInt(fields["schedule_to_close_timeout"]);
        var heartbeat = ReadInt(fields["heartbeat_timeout"]);
        var scheduleToStart = ReadInt(fields["schedule_to_start_timeout"]);
        if (heartbeat > startToClose || startToClose > scheduleToClose || scheduleToStart > scheduleToClose)
        {
            errors.AddError($"{prefix}.start_to_close_timeout", "Activity timeouts must satisfy heartbeat <= start-to-close <= schedule-to-close and schedule-to-start <= schedule-to-close.");
        }

        if (ReadInt(fields["run_timeout_seconds"]) > ReadInt(fields["execution_timeout_seconds"]))
        {
            errors.AddError($"{prefix}.run_timeout_seconds", $"The {prefix}.run_timeout_seconds field must not be greater than execution_timeout_seconds.");
        }
    }

    private static void CheckGrammar(string type, JsonObject fields, string prefix, RequestValidator errors)
    {
        var codec = fields["payload_codec"] is JsonValue cv && cv.TryGetValue<string>(out var c) ? c : null;
        switch (type)
        {
            case CommandTypes.ScheduleActivity:
                RequireString(fields, "activity_type", prefix, errors);
                NormalisePayload(fields, "arguments", codec, prefix, errors);
                break;
            case CommandTypes.StartTimer:
                if (fields["delay_seconds"] is null)
                {
                    errors.AddError($"{prefix}.delay_seconds", $"The {prefix}.delay_seconds field is required.");
                }

                break;
            case CommandTypes.StartChildWorkflow:
                RequireString(fields, "workflow_type", prefix, errors);
                NormalisePayload(fields, "arguments", codec, prefix, errors);
                if (fields["parent_close_policy"] is JsonValue pv && pv.TryGetValue<string>(out var policy) && !ParentClosePolicies.Contains(policy))
                {
                    errors.AddError($"{prefix}.parent_close_policy", $"The selected {prefix}.parent_close_policy is invalid.");
                }

                break;
            case CommandTypes.CompleteWorkflow:
                NormalisePayload(fields, "result", codec, prefix, errors);
                break;
            case CommandTypes.FailWorkflow:
                RequireString(fields, "message", prefix, errors);
                break;
            case CommandTypes.ContinueAsNew:
                NormalisePayload(fields, "arguments", codec, prefix, errors);
                break;
            case CommandTypes.RecordSideEffect:
                if (fields["result"] is null)
                {
                    errors.AddError($"{prefix}.result", $"The {prefix}.result field is required.");
                }

                NormalisePayload(fields, "result", codec, prefix, errors);
                break;
            case CommandTypes.RecordVersionMarker:
                RequireString(fields, "change_id", prefix, errors);
                foreach (var key in new[] { "version", "min_supported", "max_supported" })
                {
                    if (ReadInt(fields[key]) is null)
                    {
                        errors.AddError($"{prefix}.{key}", $"The {prefix}.{key} field must be an integer.");
                    }
                }

                break;
            case CommandTypes.UpsertSearchAttributes:
                if (fields["attributes"] is not JsonObject { Count: > 0 })
                {
                    errors.AddError($"{prefix}.attributes", $"The {prefix}.attributes field must be a non-empty object.");
                }

                break;
            case CommandTypes.CompleteUpdate:
                RequireString(fields, "update_id", prefix, errors);
                NormalisePayload(fields, "result", codec, prefix, errors);
                break;
            case CommandTypes.FailUpdate:
                RequireString(fields, "update_id", prefix, errors);
                RequireString(fields, "message", prefix, errors);
                break;
        }
    }

    private static void NormalisePayload(JsonObject fields, string key, string? codec, string prefix, RequestValidator errors)
    {
        var parsed = PayloadInput.ParseCommandPayload(fields[key]?.DeepClone(), codec, $"{prefix}.{key}");
        if (!parsed.IsValid)
        {
            errors.AddError(parsed.ErrorField ?? $"{prefix}.{key}", parsed.Error!);
            return;
        }

        fields[key] = parsed.Envelope?.ToJson();
    }

    private static void RequireString(JsonObject fields, string key, string prefix, RequestValidator errors)
    {
        if (fields[key] is not JsonValue v || !v.TryGetValue<string>(out var s) || string.IsNullOrWhiteSpace(s))
        {
            errors.AddError($"{prefix}.{key}", $"The {prefix}.{key} field is required.");
        }
    }

    private static void RequireInt(JsonObject fields, string key, string prefix, RequestValidator errors, int min)
    {
        if (fields[key] is not { } node || node.GetValueKind() == JsonValueKind.Null)
        {
            return;
        }

        if (ReadInt(node) is not { } value)
        {
            errors.AddError($"{prefix}.{key}", $"The {prefix}.{key} field must be an integer.");
        }
        else if (value < min)
        {
            errors.AddError($"{prefix}.{key}", $"The {prefix}.{key} field must be at least {min}.");
        }
    }
}
