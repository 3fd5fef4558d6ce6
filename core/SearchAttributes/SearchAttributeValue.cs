using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.SearchAttributes;

/// <summary>One filterable value of an attribute: exactly one of the kind columns of <c>workflow_search_attribute_values</c>.</summary>
public sealed record SearchAttributeValue(int Ordinal, string? Keyword, decimal? Number, bool? Bool, DateTimeOffset? Time)
{
    /// <summary><c>DW_MAX_SEARCH_ATTRIBUTE_VALUE_BYTES</c>; also keeps every keyword inside a btree index row.</summary>
    public const int MaxValueBytes = 2048;

    /// <summary>Whether a string value, or a string element of a list, is longer than <see cref="MaxValueBytes"/> in UTF-8.</summary>
    public static bool IsOversized(JsonNode? value) => value switch
    {
        JsonArray array => array.Any(IsOversized),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => System.Text.Encoding.UTF8.GetByteCount(v.GetValue<string>()) > MaxValueBytes,
        _ => false,
    };

    /// <summary>
    /// Converts a wire value to the typed values of <paramref name="type"/>, or null when the value does not have that
    /// type. A keyword list gives one value per element; a datetime is an ISO-8601 string.
    /// </summary>
    public static IReadOnlyList<SearchAttributeValue>? From(string type, JsonNode? value)
    {
        if (value is null || IsOversized(value))
        {
            return null;
        }

        switch (type)
        {
            case SearchAttributeTypes.Keyword:
            case SearchAttributeTypes.Text:
                return ReadString(value) is { } s ? [new(0, s, null, null, null)] : null;
            case SearchAttributeTypes.KeywordList:
                if (ReadString(value) is { } single)
                {
                    return [new(0, single, null, null, null)];
                }

                if (value is not JsonArray array)
                {
                    return null;
                }

                var items = new List<SearchAttributeValue>();
                foreach (var element in array)
                {
                    if (ReadString(element) is not { } item)
                    {
                        return null;
                    }

                    items.Add(new(items.Count, item, null, null, null));
                }

                return items;
            case SearchAttributeTypes.Int:
                return ReadNumber(value) is { } i && decimal.Truncate(i) == i && i is >= long.MinValue and <= long.MaxValue
                    ? [new(0, null, i, null, null)]
                    : null;
            case SearchAttributeTypes.Double:
                return ReadNumber(value) is { } d ? [new(0, null, d, null, null)] : null;
            case SearchAttributeTypes.Bool:
                return value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? [new(0, null, null, v.GetValue<bool>(), null)]
                    : null;
            case SearchAttributeTypes.Datetime:
                return ReadString(value) is { } text && ParseTime(text) is { } time ? [new(0, null, null, null, time)] : null;
            default:
                return null;
        }
    }

    /// <summary>ISO-8601 with a date; no offset means UTC. Normalised to UTC for <c>timestamptz</c>.</summary>
    public static DateTimeOffset? ParseTime(string text) =>
        text.Length >= 10 && char.IsAsciiDigit(text[0])
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed.ToUniversalTime()
            : null;

    private static string? ReadString(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static decimal? ReadNumber(JsonNode node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        var raw = v.ToJsonString();
        return decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
    }
}
