using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DurableWorkflow.Core.Http;

/// <summary>
/// Reads typed fields from a JSON request body and collects Laravel-style messages, so a 422 carries every problem at
/// once in the <c>errors</c>/<c>validation_errors</c> maps the clients already parse.
/// </summary>
public sealed class RequestValidator(JsonElement? body)
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    public bool IsValid => errors.Count == 0;

    public bool Has(string field) =>
        body is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(field, out _);

    public string? String(string field, bool required = false, int? maxLength = null, Regex? pattern = null)
    {
        if (!TryGet(field, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return Fail<string>(field, $"The {Label(field)} field must be a string.");
        }

        var text = value.GetString()!;
        if (required && text.Length == 0)
        {
            return Fail<string>(field, $"The {Label(field)} field is required.");
        }

        if (maxLength is { } max && text.Length > max)
        {
            return Fail<string>(field, $"The {Label(field)} field must not be greater than {max} characters.");
        }

        if (pattern is not null && !pattern.IsMatch(text))
        {
            return Fail<string>(field, $"The {Label(field)} field format is invalid.");
        }

        return text;
    }

    public int? Integer(string field, bool required = false, int? min = null, int? max = null)
    {
        if (!TryGet(field, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            return Fail<int?>(field, $"The {Label(field)} field must be an integer.");
        }

        if ((min is { } lo && number < lo) || (max is { } hi && number > hi))
        {
            return Fail<int?>(field, string.Create(CultureInfo.InvariantCulture, $"The {Label(field)} field must be between {min} and {max}."));
        }

        return number;
    }

    public bool? Boolean(string field, bool required = false)
    {
        if (!TryGet(field, required, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Fail<bool?>(field, $"The {Label(field)} field must be true or false."),
        };
    }

    public string? OneOf(string field, IReadOnlyCollection<string> allowed, bool required = false)
    {
        var text = String(field, required);
        if (text is not null && !allowed.Contains(text))
        {
            return Fail<string>(field, $"The selected {Label(field)} is invalid.");
        }

        return text;
    }

    public JsonElement? Object(string field)
    {
        if (!TryGet(field, required: false, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return Fail<JsonElement?>(field, $"The {Label(field)} field must be an object.");
        }

        return value;
    }

    /// <summary>Adds a rule outcome computed by the caller, under the same field key.</summary>
    public void AddError(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            list = [];
            errors[field] = list;
            order.Add(field);
        }

        list.Add(message);
    }

    /// <summary>The 422 <c>validation_failed</c> error; only call when <see cref="IsValid"/> is false.</summary>
    public ApiError ToError()
    {
        var messages = order.SelectMany(f => errors[f]).ToList();
        var message = new StringBuilder(messages[0]);
        if (messages.Count > 1)
        {
            var more = messages.Count - 1;
            message.Append(CultureInfo.InvariantCulture, $" (and {more} more error{(more == 1 ? string.Empty : "s")})");
        }

        return new ApiError(422, "validation_failed", message.ToString())
            .With("errors", ErrorMap())
            .With("validation_errors", ErrorMap());
    }

    private JsonObject ErrorMap()
    {
        var map = new JsonObject();
        foreach (var field in order)
        {
            map[field] = new JsonArray([.. errors[field].Select(m => (JsonNode?)m)]);
        }

        return map;
    }

    private bool TryGet(string field, bool required, out JsonElement value)
    {
        value = default;
        if (body is not { ValueKind: JsonValueKind.Object } obj || !obj.TryGetProperty(field, out value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                AddError(field, $"The {Label(field)} field is required.");
            }

            return false;
        }

        return true;
    }

    private T? Fail<T>(string field, string message)
    {
        AddError(field, message);
        return default;
    }

    private static string Label(string field) => field.Replace('_', ' ').Replace('.', ' ');
}
