using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Engine;

/// <summary>The <c>parallel_group_*</c> keys Python puts on commands; copied verbatim onto every event of the step.</summary>
public static class ParallelGroup
{
    public static readonly IReadOnlyList<string> Keys =
    [
        "parallel_group_id", "parallel_group_kind", "parallel_group_base_sequence", "parallel_group_size",
        "parallel_group_index", "parallel_group_path",
    ];

    public static JsonObject? Extract(JsonObject command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var group = new JsonObject();
        foreach (var key in Keys)
        {
            if (command[key] is { } value)
            {
                group[key] = value.DeepClone();
            }
        }

        return group.Count == 0 ? null : group;
    }

    public static void CopyInto(JsonObject? group, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (group is null)
        {
            return;
        }

        foreach (var (key, value) in group)
        {
            payload[key] = value?.DeepClone();
        }
    }
}
