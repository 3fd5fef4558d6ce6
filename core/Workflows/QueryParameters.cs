using System.Globalization;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Workflows;

/// <summary>
/// Query-string rules with Laravel's messages, so a 422 reads like upstream's. Values arrive as strings, hence not
/// <see cref="RequestValidator"/>'s typed JSON readers; its error map is reused for the envelope.
/// </summary>
internal static class QueryParameters
{
    public static int? Integer(RequestValidator validator, string field, string? value, int min, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var label = field.Replace('_', ' ');
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            validator.AddError(field, $"The {label} field must be an integer.");
            return null;
        }

        if (number < min)
        {
            validator.AddError(field, string.Create(CultureInfo.InvariantCulture, $"The {label} field must be at least {min}."));
            return null;
        }

        if (number > max)
        {
            validator.AddError(field, string.Create(CultureInfo.InvariantCulture, $"The {label} field must not be greater than {max}."));
            return null;
        }

        return number;
    }

    /// <summary>
    /// Upstream accepts only <c>1</c>/<c>0</c> in a query string; <c>true</c>/<c>false</c> are accepted too because
    /// clients that serialise booleans as words would otherwise get a 422 for an obviously meant value (spec §16.10).
    /// </summary>
    public static bool? Boolean(RequestValidator validator, string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        switch (value.Trim().ToUpperInvariant())
        {
            case "1":
            case "TRUE":
                return true;
            case "0":
            case "FALSE":
                return false;
            default:
                validator.AddError(field, $"The {field.Replace('_', ' ')} field must be true or false.");
                return null;
        }
    }

    /// <summary>Laravel's <c>$request->boolean()</c>: lenient, anything unrecognised is false.</summary>
    public static bool Lenient(string? value) =>
        value?.Trim().ToUpperInvariant() is "1" or "TRUE" or "ON" or "YES";
}
