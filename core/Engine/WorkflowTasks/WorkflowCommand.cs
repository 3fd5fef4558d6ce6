using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Engine.WorkflowTasks;

/// <summary>A command of a workflow-task completion that passed validation; payload fields are normalised to envelopes.</summary>
public sealed record WorkflowCommand(int Index, string Type, JsonObject Fields)
{
    public bool IsTerminal => Type is CommandTypes.CompleteWorkflow or CommandTypes.FailWorkflow or CommandTypes.ContinueAsNew;

    public bool IsStep => CommandTypes.Steps.Contains(Type);

    public string? String(string key) => Fields[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public int? Int(string key) => CommandValidator.ReadInt(Fields[key]);
}
