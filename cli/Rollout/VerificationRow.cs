using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>One answered question of the rollout's operator verification; <see cref="Node"/> is null for cluster-wide rows.</summary>
public sealed record VerificationRow(string Check, string Question, string? Node, bool Passed, string Evidence)
{
    public JsonObject ToJson() => new()
    {
        ["check"] = Check,
        ["question"] = Question,
        ["node"] = Node,
        ["result"] = Passed ? "PASS" : "FAIL",
        ["passed"] = Passed,
        ["evidence"] = Evidence,
    };
}
