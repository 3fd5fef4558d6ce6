using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Operations;

/// <summary>A registration on a task queue as the admission view sees it: its effective status and advertised slots.</summary>
public sealed record TaskQueuePoller(JsonObject Json, string Status, bool IsStale, int MaxWorkflowTasks, int MaxActivityTasks);
