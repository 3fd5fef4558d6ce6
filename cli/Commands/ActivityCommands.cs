using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary>
/// <c>activity:complete|fail</c>: settle a leased activity attempt from outside the worker process. An attempt that
/// already settled answers <c>recorded: false</c> with a reason; that is redelivery, printed as success.
/// </summary>
public static class ActivityCommands
{
    private static readonly string[] FailureKinds = ["application", "timeout", "cancellation", "malformed_output", "handler_crash", "decode_failure", "unsupported_payload"];
    private static readonly string[] TimeoutTypes = ["schedule_to_start", "start_to_close", "schedule_to_close", "heartbeat", "deadline_exceeded"];

    public static IEnumerable<Command> Create(CliIo io)
    {
        var completeTask = TaskId();
        var completeAttempt = AttemptId();
        var completeOwner = WorkerPlane.LeaseOwner();
        var input = new InputOptions();
        yield return ServerCommand.Create(io, "activity:complete", "Complete an activity attempt externally", c =>
        {
            var taskId = c.Required(completeTask);
            var body = new JsonObject { ["activity_attempt_id"] = c.Required(completeAttempt), ["lease_owner"] = c.Get(completeOwner) }
                .Put("result", input.Read(c, wrapInArray: false));
            return WorkerPlane.PostAsync(c, $"worker/activity-tasks/{CommandContext.Segment(taskId)}/complete", body,
                (console, answer) => Summary(console, "Activity completed", answer));
        }, Preflight.Worker, [completeTask, completeAttempt, completeOwner, .. input.Symbols]);

        var failTask = TaskId();
        var failAttempt = AttemptId();
        var failOwner = WorkerPlane.LeaseOwner();
        var message = new Option<string?>("--message", "-m") { Description = "Failure message" };
        var type = new Option<string?>("--type", "-t") { Description = "Failure type" };
        var kind = new Option<string?>("--failure-kind") { Description = $"Machine failure kind: {string.Join(", ", FailureKinds)}" };
        var retryable = new Option<bool>("--retryable") { Description = "Mark the failure retryable" };
        var nonRetryable = new Option<bool>("--non-retryable") { Description = "Skip the retry policy and fail the activity now" };
        var timeoutType = new Option<string?>("--timeout-type") { Description = $"Timeout classification: {string.Join(", ", TimeoutTypes)}" };
        var cancelled = new Option<bool>("--cancelled") { Description = "Classify the failure as cancellation-related" };
        var malformed = new Option<bool>("--malformed-output") { Description = "Classify the failure as malformed handler output" };
        yield return ServerCommand.Create(io, "activity:fail", "Fail an activity attempt externally", c =>
        {
            var taskId = c.Required(failTask);
            if (c.Get(retryable) && c.Get(nonRetryable))
            {
                throw CliException.Invalid("--retryable and --non-retryable cannot both be set.");
            }

            var failure = new JsonObject { ["message"] = c.Get(message), ["type"] = c.Get(type), ["non_retryable"] = c.Get(nonRetryable) }
                .Put("kind", OneOf(c.Get(kind), FailureKinds, "--failure-kind"))
                .Put("retryable", c.Get(retryable) ? JsonValue.Create(true) : null)
                .Put("timeout_type", OneOf(c.Get(timeoutType), TimeoutTypes, "--timeout-type"))
                .Put("cancelled", c.Get(cancelled) ? JsonValue.Create(true) : null)
                .Put("malformed_output", c.Get(malformed) ? JsonValue.Create(true) : null);
            return WorkerPlane.PostAsync(c, $"worker/activity-tasks/{CommandContext.Segment(taskId)}/fail",
                new JsonObject { ["activity_attempt_id"] = c.Required(failAttempt), ["lease_owner"] = c.Get(failOwner), ["failure"] = failure },
                (console, answer) => Summary(console, "Activity failed", answer));
        }, Preflight.Worker, failTask, failAttempt, failOwner, message, type, kind, retryable, nonRetryable, timeoutType, cancelled, malformed);
    }

    private static Argument<string> TaskId() => new("task-id") { Description = "Activity task id" };

    private static Argument<string> AttemptId() => new("attempt-id") { Description = "Leased activity attempt id" };

    private static string? OneOf(string? value, string[] allowed, string flag) =>
        value is null || allowed.Contains(value) ? value : throw CliException.Invalid($"Invalid {flag} '{value}': expected one of {string.Join(", ", allowed)}.");

    private static void Summary(IAnsiConsole console, string heading, JsonNode? answer)
    {
        WorkerPlane.Lines(console, heading, ("Task ID", answer?["task_id"]), ("Attempt ID", answer?["activity_attempt_id"]), ("Outcome", answer?["outcome"]));
        if (answer?["recorded"] is JsonValue recorded && !recorded.GetValue<bool>())
        {
            console.WriteLine($"  Not recorded: {GenericTable.Text(answer["reason"])}");
        }
    }
}
