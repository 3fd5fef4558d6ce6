using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Rollout;

/// <summary>One reason <c>rollout:preflight</c> refuses, with the identifiers an operator needs to act on it.</summary>
public sealed record PreflightFinding(string Kind, string Detail, JsonObject Subject)
{
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["kind"] = Kind, ["detail"] = Detail };
        foreach (var (key, value) in Subject)
        {
            json[key] = value?.DeepClone();
        }

        return json;
    }
}
