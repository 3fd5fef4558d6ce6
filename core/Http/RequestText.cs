using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DurableWorkflow.Core.Http;

/// <summary>
/// Text a request carries must be storable: PostgreSQL <c>text</c> and <c>jsonb</c> refuse U+0000 (22021, 22P05),
/// and an unpaired UTF-16 surrogate (<c>"\ud800"</c> is legal JSON syntax) cannot be read as a .NET string at all.
/// Every body string, object key, query parameter, route value and the namespace header is checked once, after
/// authentication and before any endpoint runs, so no such value ever reaches an engine or SQL.
/// </summary>
public static class RequestText
{
    /// <summary>The body as a whole is not a 422: bytes that are not UTF-8 are not JSON (RFC 8259 §8.1).</summary>
    public static bool IsUtf8(ReadOnlySpan<byte> body) => Utf8.IsValid(body);

    /// <summary>Field name used for the request namespace, wherever it came from.</summary>
    public const string NamespaceField = "namespace";

    // Enough to name the problem; a hostile body with thousands of bad strings does not get a thousand-entry answer.
    private const int MaxErrors = 20;

    /// <summary>
    /// 422 <c>validation_failed</c> naming each offending field (dotted JSON path for the body, the parameter name for
    /// query and route values), or null when every value is clean.
    /// </summary>
    public static ApiError? Check(JsonElement? body, IEnumerable<KeyValuePair<string, string?>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var v = new RequestValidator(null);
        var count = 0;
        foreach (var (field, value) in parameters)
        {
            if (value is not null && Problem(value) is { } problem && count++ < MaxErrors)
            {
                v.AddError(field, $"The {field} parameter {problem}");
            }
        }

        if (body is { } root)
        {
            Walk(root, string.Empty, v, ref count);
        }

        return v.IsValid ? null : v.ToError();
    }

    /// <summary>Route parameter names as the wire spells fields: <c>workflowId</c> → <c>workflow_id</c>.</summary>
    public static string FieldName(string routeParameter)
    {
        ArgumentNullException.ThrowIfNull(routeParameter);
        var name = new StringBuilder(routeParameter.Length + 4);
        foreach (var c in routeParameter)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                name.Append('_').Append(char.ToLowerInvariant(c));
            }
            else
            {
                name.Append(c);
            }
        }

        return name.ToString();
    }

    private static void Walk(JsonElement element, string path, RequestValidator v, ref int count)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryRead(() => property.Name, out var name) || Problem(name) is not null)
                    {
                        Add(v, Label(path), "has a key that is not valid text (NUL or an unpaired surrogate).", ref count);
                        continue;
                    }

                    Walk(property.Value, path.Length == 0 ? name : $"{path}.{name}", v, ref count);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path.Length == 0 ? $"{index}" : $"{path}.{index}", v, ref count);
                    index++;
                }

                break;
            case JsonValueKind.String:
                if (!TryRead(element.GetString, out var text))
                {
                    Add(v, Label(path), "must be valid Unicode text: it holds an unpaired UTF-16 surrogate.", ref count);
                }
                else if (Problem(text) is { } problem)
                {
                    Add(v, Label(path), problem, ref count);
                }

                break;
        }
    }

    private static void Add(RequestValidator v, string field, string problem, ref int count)
    {
        if (count++ < MaxErrors)
        {
            v.AddError(field, $"The {field} field {problem}");
        }
    }

    private static string Label(string path) => path.Length == 0 ? "body" : path;

    /// <summary>
    /// <see cref="JsonElement.GetString"/> and <see cref="JsonProperty.Name"/> refuse an escaped unpaired surrogate with
    /// <see cref="InvalidOperationException"/>; that refusal is the check.
    /// </summary>
    private static bool TryRead(Func<string?> read, out string value)
    {
        try
        {
            value = read() ?? string.Empty;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = string.Empty;
            return false;
        }
    }

    private static string? Problem(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return "must not contain NUL (U+0000) characters.";
        }

        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return "must be valid Unicode text: it holds an unpaired UTF-16 surrogate.";
            }
        }

        return null;
    }
}
