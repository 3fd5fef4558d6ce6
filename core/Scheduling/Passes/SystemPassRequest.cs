using System.Text.Json;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Scheduling.Passes;

/// <summary>The id lists the system pass routes accept: at most 100 strings of 1–128 characters.</summary>
internal static class SystemPassRequest
{
    public const int MaxIds = 100;

    public static List<string>? Ids(JsonElement? body, RequestValidator v, string field)
    {
        if (body is not { ValueKind: JsonValueKind.Object } obj || !obj.TryGetProperty(field, out var items) || items.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (items.ValueKind != JsonValueKind.Array)
        {
            v.AddError(field, $"The {field} field must be an array.");
            return null;
        }

        var ids = new List<string>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: >= 1 and <= 128 } id)
            {
                v.AddError($"{field}.{index}", $"The {field}.{index} field must be a string of 1 to 128 characters.");
            }
            else
            {
                ids.Add(id);
            }

            index++;
        }

        if (index > MaxIds)
        {
            v.AddError(field, $"The {field} field must not have more than {MaxIds} items.");
        }

        return ids;
    }
}
