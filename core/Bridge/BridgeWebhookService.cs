using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Workflows;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Bridge;

/// <summary>
/// <c>POST /api/bridge-adapters/webhook/{adapter}</c> (control-plane spec §11.2): maps a provider event onto the
/// existing start, signal and update services, whose rules it does not repeat. Each idempotency key acts once: the
/// first outcome that took effect is stored (<see cref="BridgeEventStore"/>) and every redelivery, on any node and after
/// any restart, answers 200 <c>duplicate</c> with it. The actions are themselves idempotent per key (a start without a
/// <c>workflow_id</c> gets one derived from the key, signals and updates carry a <c>request_id</c> derived from it), so
/// a delivery cut off between acting and recording is safe to redeliver.
/// </summary>
public sealed partial class BridgeWebhookService(
    BridgeEventStore store,
    WorkflowStartService starts,
    WorkflowCommandService commands,
    ServerSettings settings,
    ILogger<BridgeWebhookService> logger) : IDisposable
{
    /// <summary>Largest <c>input</c> one event may carry, JSON-encoded: the webhook is bounded ingress, not a payload store.</summary>
    public const int MaxInputBytes = 262_144;

    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Header carrying <c>sha256=&lt;hex HMAC-SHA256 of the JSON body&gt;</c> for an adapter configured with a secret.</summary>
    public const string SignatureHeader = "X-Durable-Workflow-Bridge-Signature";

    private static readonly string[] DuplicatePolicies = ["reject_duplicate", "use_existing"];
    private static readonly string[] WaitForValues = ["accepted", "completed"];

    /// <summary>A delivery holds its key's claim connection while the action takes another; this keeps both within the pool.</summary>
    private readonly SemaphoreSlim inFlight = new(Math.Max(1, settings.DatabaseMaxPoolSize / 4));

    public void Dispose() => inFlight.Dispose();

    public async Task<BridgeOutcome> HandleAsync(string ns, string adapter, JsonElement? body, string? signature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        var received = new BridgeEvent(adapter.Trim(), null, null, null, null);
        if (!BridgeSettings.IsValidAdapterName(received.Adapter))
        {
            return Rejected(ns, received, "unsupported_routing", "Bridge adapter route is unsupported.");
        }

        if (settings.Bridge.Adapters is { } adapters)
        {
            if (!adapters.TryGetValue(received.Adapter, out var secret))
            {
                return Rejected(ns, received, "adapter_unavailable", $"Bridge adapter [{received.Adapter}] is not enabled on this server.");
            }

            if (secret is not null && !SignatureMatches(secret, body, signature))
            {
                return Rejected(ns, received, "auth_failed", $"The {SignatureHeader} header is missing or does not sign this event.");
            }
        }

        var v = new RequestValidator(body);
        var action = v.String("action", required: true);
        var key = v.String("idempotency_key", required: true, maxLength: MaxIdempotencyKeyLength);
        var target = v.Object("target");
        if (Member(body, "target") is null or { ValueKind: JsonValueKind.Null })
        {
            v.AddError("target", "The target field is required.");
        }

        var input = Member(body, "input");
        if (input is { ValueKind: not (JsonValueKind.Array or JsonValueKind.Object or JsonValueKind.Null) })
        {
            v.AddError("input", "The input field must be an array.");
        }

        var correlation = v.Object("correlation");
        var e = received with
        {
            Action = action,
            IdempotencyKey = key,
            Target = target is { } t ? JsonNode.Parse(t.GetRawText())!.AsObject() : null,
            Correlation = correlation is { } c && c.EnumerateObject().Any() ? JsonNode.Parse(c.GetRawText())!.AsObject() : null,
        };
        if (!v.IsValid)
        {
            return Rejected(ns, e, "malformed_payload", "Bridge event payload is malformed.", Errors(v));
        }

        if (!BridgeEvent.Actions.Contains(action))
        {
            return Rejected(ns, e, "unsupported_action", $"Bridge action [{action}] is unsupported.");
        }

        if (input is { } value && Encoding.UTF8.GetByteCount(value.GetRawText()) > MaxInputBytes)
        {
            return Rejected(ns, e, "payload_too_large", $"The input of a bridge event must not be greater than {MaxInputBytes} bytes when JSON encoded.");
        }

        await inFlight.WaitAsync(cancellationToken);
        try
        {
            await using var claim = await store.ClaimAsync(new BridgeEventKey(ns, e.Adapter, key!), cancellationToken);
            if (claim.Stored is { } stored)
            {
                logger.EventDuplicate(e.Adapter, key!, ns);
                return BridgeOutcome.Replay(stored);
            }

            var outcome = action switch
            {
                BridgeEvent.StartAction => await StartAsync(ns, e, target!.Value, input, cancellationToken),
                BridgeEvent.SignalAction => await SignalAsync(ns, e, target!.Value, input, cancellationToken),
                _ => await UpdateAsync(ns, e, target!.Value, input, cancellationToken),
            };
            if (outcome.HttpStatus >= 400)
            {
                return outcome;
            }

            await claim.RecordAsync(action!, outcome.HttpStatus, outcome.Document, cancellationToken);
            logger.EventAccepted(e.Adapter, key!, ns, action!, (string?)outcome.Document["workflow_id"]);
            return outcome;
        }
        finally
        {
            inFlight.Release();
        }
    }

    private async Task<BridgeOutcome> StartAsync(string ns, BridgeEvent e, JsonElement target, JsonElement? input, CancellationToken cancellationToken)
    {
        var t = new RequestValidator(target);
        var workflowType = t.String("workflow_type", required: true, maxLength: 255);
        var workflowId = t.String("workflow_id", maxLength: 128, pattern: WorkflowIdPattern());
        var taskQueue = t.String("task_queue", maxLength: 255);
        var businessKey = t.String("business_key", maxLength: 255);
        var duplicatePolicy = t.OneOf("duplicate_policy", DuplicatePolicies);
        if (!t.IsValid)
        {
            return Rejected(ns, e, "malformed_payload", "Bridge start target is malformed.", Errors(t));
        }

        var start = new JsonObject
        {
            ["workflow_id"] = workflowId ?? DerivedWorkflowId(e.Adapter, e.IdempotencyKey!),
            ["workflow_type"] = workflowType,
            ["duplicate_policy"] = duplicatePolicy == "reject_duplicate" ? "fail" : "use-existing",
        };
        AddIfPresent(start, "task_queue", taskQueue);
        AddIfPresent(start, "business_key", businessKey);
        if (input is { ValueKind: not JsonValueKind.Null } arguments)
        {
            start["input"] = JsonNode.Parse(arguments.GetRawText());
        }

        var result = await starts.StartAsync(ns, JsonSerializer.SerializeToElement(start), cancellationToken);
        if (result.Error is { } error)
        {
            return error.Reason switch
            {
                "validation_failed" => Rejected(ns, e, "malformed_payload", error.Message, new JsonObject { ["errors"] = error.Details["errors"]?.DeepClone() }),
                "workflow_id_reserved_in_namespace" => Rejected(ns, e, "duplicate_start", error.Message, new JsonObject { ["workflow_id"] = start["workflow_id"]?.DeepClone() }),
                _ => Rejected(ns, e, "unsupported_routing", error.Message, new JsonObject
                {
                    ["workflow_id"] = start["workflow_id"]?.DeepClone(),
                    ["workflow_type"] = workflowType,
                    ["rejection_reason"] = error.Reason,
                    ["control_plane_outcome"] = error.Details["outcome"]?.DeepClone(),
                }),
            };
        }

        var started = result.Value!;
        var fields = new JsonObject
        {
            ["workflow_id"] = started.WorkflowId,
            ["run_id"] = started.RunId,
            ["workflow_type"] = started.WorkflowType,
            ["control_plane_outcome"] = started.Outcome,
        };
        return result.Status switch
        {
            201 => BridgeOutcome.Accepted(e, fields),
            200 => BridgeOutcome.Duplicate(e, "duplicate_start", fields),
            _ => Rejected(ns, e, "duplicate_start", started.Message ?? "The workflow has already been started.", Merge(fields, new JsonObject
            {
                ["rejection_reason"] = started.Reason,
            })),
        };
    }

    private async Task<BridgeOutcome> SignalAsync(string ns, BridgeEvent e, JsonElement target, JsonElement? input, CancellationToken cancellationToken)
    {
        var t = new RequestValidator(target);
        var workflowId = t.String("workflow_id", required: true, maxLength: 128, pattern: WorkflowIdPattern());
        var signalName = t.String("signal_name", required: true, maxLength: 255);
        if (!t.IsValid)
        {
            return Rejected(ns, e, "malformed_payload", "Bridge signal target is malformed.", Errors(t));
        }

        var command = CommandBody(e, input);
        var result = await commands.SignalAsync(ns, new CommandTarget(workflowId!), signalName!, JsonSerializer.SerializeToElement(command), cancellationToken);
        return CommandOutcome(ns, e, workflowId!, result);
    }

    private async Task<BridgeOutcome> UpdateAsync(string ns, BridgeEvent e, JsonElement target, JsonElement? input, CancellationToken cancellationToken)
    {
        var t = new RequestValidator(target);
        var workflowId = t.String("workflow_id", required: true, maxLength: 128, pattern: WorkflowIdPattern());
        var updateName = t.String("update_name", required: true, maxLength: 255);
        var waitFor = t.OneOf("wait_for", WaitForValues);
        var waitTimeout = t.Integer("wait_timeout_seconds", min: 1, max: WorkflowCommandService.MaxUpdateWaitSeconds);
        if (!t.IsValid)
        {
            return Rejected(ns, e, "malformed_payload", "Bridge update target is malformed.", Errors(t));
        }

        var command = CommandBody(e, input);
        command["wait_for"] = waitFor ?? "accepted";
        if (waitTimeout is { } seconds)
        {
            command["wait_timeout_seconds"] = seconds;
        }

        var result = await commands.UpdateAsync(ns, new CommandTarget(workflowId!), updateName!, JsonSerializer.SerializeToElement(command), cancellationToken);
        return CommandOutcome(ns, e, workflowId!, result);
    }

    /// <summary>The signal or update body: the event's input and a <c>request_id</c> derived from its key, so a redelivery replays.</summary>
    private static JsonObject CommandBody(BridgeEvent e, JsonElement? input)
    {
        var command = new JsonObject { ["request_id"] = $"bridge-{Hash($"{e.Adapter}\0{e.IdempotencyKey}")}" };
        if (input is { ValueKind: not JsonValueKind.Null } arguments)
        {
            command["input"] = JsonNode.Parse(arguments.GetRawText());
        }

        return command;
    }

    private BridgeOutcome CommandOutcome(string ns, BridgeEvent e, string workflowId, ApiResult<JsonObject> result)
    {
        if (result.Error is { } error)
        {
            return error.Reason switch
            {
                "instance_not_found" => Rejected(ns, e, "unknown_target", $"Workflow [{workflowId}] was not found in namespace [{ns}]."),
                "validation_failed" => Rejected(ns, e, "malformed_payload", error.Message, new JsonObject { ["errors"] = error.Details["errors"]?.DeepClone() }),
                _ => Rejected(ns, e, error.Reason, error.Message, new JsonObject
                {
                    ["workflow_id"] = workflowId,
                    ["run_id"] = error.Details["run_id"]?.DeepClone(),
                    ["control_plane_outcome"] = error.Details["outcome"]?.DeepClone(),
                }),
            };
        }

        var body = result.Value!;
        var fields = new JsonObject
        {
            ["workflow_id"] = body["workflow_id"]?.DeepClone() ?? workflowId,
            ["run_id"] = body["run_id"]?.DeepClone(),
            ["workflow_type"] = body["workflow_type"]?.DeepClone(),
            ["control_plane_outcome"] = body["outcome"]?.DeepClone(),
            ["command_id"] = body["command_id"]?.DeepClone(),
            ["command_status"] = body["command_status"]?.DeepClone(),
            ["update_id"] = body["update_id"]?.DeepClone(),
            ["update_status"] = body["update_status"]?.DeepClone(),
        };
        return result.Status < 400
            ? BridgeOutcome.Accepted(e, fields)
            : Rejected(ns, e, (string?)body["reason"] ?? "unsupported_routing", (string?)body["message"] ?? "The workflow refused the command.", fields);
    }

    private BridgeOutcome Rejected(string ns, BridgeEvent e, string reason, string message, JsonObject? fields = null)
    {
        logger.EventRejected(e.Adapter, e.IdempotencyKey, ns, reason);
        return BridgeOutcome.Rejected(e, reason, Merge(new JsonObject { ["message"] = message }, fields ?? []));
    }

    /// <summary>Constant-time check of <c>sha256=&lt;hex&gt;</c> over the body as sent (the JSON text without surrounding whitespace).</summary>
    private static bool SignatureMatches(string secret, JsonElement? body, string? signature)
    {
        if (signature is null || !signature.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var payload = Encoding.UTF8.GetBytes(body?.GetRawText() ?? string.Empty);
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload);
        var given = signature["sha256=".Length..].Trim();
        if (given.Length != expected.Length * 2 || !given.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(given));
    }

    /// <summary>Upstream's id for a start that names none: one workflow per adapter and key, so a redelivery finds it.</summary>
    private static string DerivedWorkflowId(string adapter, string idempotencyKey) =>
        $"bridge-{adapter[..Math.Min(adapter.Length, 64)]}-{Hash(idempotencyKey)[..32]}";

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static JsonElement? Member(JsonElement? body, string name) =>
        body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var value) ? value : null;

    private static void AddIfPresent(JsonObject target, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            target[key] = value;
        }
    }

    private static JsonObject Errors(RequestValidator v) => new() { ["errors"] = v.ToError().Details["errors"]?.DeepClone() };

    private static JsonObject Merge(JsonObject first, JsonObject second)
    {
        foreach (var (key, value) in second)
        {
            first[key] = value?.DeepClone();
        }

        return first;
    }

    [GeneratedRegex("^[a-zA-Z0-9._:-]+$")]
    private static partial Regex WorkflowIdPattern();
}
