using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine.Activities;

namespace DurableWorkflow.Tests.Core.Engine.Activities;

public sealed class ActivityPolicyTests
{
    [Theory]
    [InlineData("[1, 2]", 1, 1)]
    [InlineData("[1, 2]", 2, 2)]
    [InlineData("[1, 2]", 5, 2)]
    [InlineData("[]", 1, 0)]
    [InlineData("7", 3, 7)]
    [InlineData("null", 1, 0)]
    public void backoff_takes_the_entry_for_the_failed_attempt_and_repeats_the_last(string backoff, int attempt, int expected)
    {
        var execution = Execution(new JsonObject { ["backoff_seconds"] = JsonNode.Parse(backoff) });
        Assert.Equal(expected, ActivityPolicy.BackoffSeconds(execution, attempt));
    }

    [Fact]
    public void without_policy_or_timeouts_there_is_no_snapshot()
    {
        Assert.Null(ActivityPolicy.Snapshot(Execution(null)));
        Assert.Equal(0, ActivityPolicy.BackoffSeconds(Execution(null), 1));
    }

    [Fact]
    public void the_snapshot_carries_every_documented_key()
    {
        var snapshot = ActivityPolicy.Snapshot(Execution(new JsonObject
        {
            ["max_attempts"] = 3,
            ["backoff_seconds"] = new JsonArray(1, 2),
            ["non_retryable_error_types"] = new JsonArray("CardDeclined"),
        }) with { MaxAttempts = 3, StartToCloseTimeout = 30 })!;
        Assert.Equal(
            ["snapshot_version", "max_attempts", "backoff_seconds", "start_to_close_timeout", "schedule_to_start_timeout",
             "schedule_to_close_timeout", "heartbeat_timeout", "non_retryable_error_types"],
            snapshot.Select(pair => pair.Key));
        Assert.Equal(3, (int)snapshot["max_attempts"]!);
        Assert.Equal(30, (int)snapshot["start_to_close_timeout"]!);
        Assert.Equal("CardDeclined", (string?)snapshot["non_retryable_error_types"]![0]);
    }

    private static ActivityExecutionRow Execution(JsonObject? policy) => new()
    {
        Id = "01jr8w3a0b1d3f5h7k9m1p3r5t",
        RunId = "01jr8w2n5k7m9p1r3t5v7x9z1b",
        Sequence = 1,
        ActivityType = "charge_card",
        TaskQueue = "orders",
        Status = "pending",
        PayloadCodec = "avro",
        RetryPolicy = policy,
        MaxAttempts = 1,
        AttemptCount = 0,
    };
}
