using System.Text.RegularExpressions;

namespace DurableWorkflow.Core.SearchAttributes;

/// <summary>The attribute vocabulary of control-plane spec §6: custom types, the eight fixed system attributes, limits.</summary>
public static partial class SearchAttributeTypes
{
    public const string Keyword = "keyword";
    public const string Text = "text";
    public const string Int = "int";
    public const string Double = "double";
    public const string Bool = "bool";
    public const string Datetime = "datetime";
    public const string KeywordList = "keyword_list";

    /// <summary><c>DW_MAX_SEARCH_ATTRIBUTES</c>: custom definitions per namespace.</summary>
    public const int MaxCustomPerNamespace = 100;

    public const int MaxNameLength = 128;

    public static IReadOnlyList<string> Custom { get; } = [Keyword, Text, Int, Double, Bool, Datetime, KeywordList];

    /// <summary>System attributes in the order upstream lists them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> System { get; } =
    [
        new("WorkflowType", Keyword), new("WorkflowId", Keyword), new("RunId", Keyword), new("Status", Keyword),
        new("StartTime", Datetime), new("CloseTime", Datetime), new("TaskQueue", Keyword), new("BuildId", Keyword),
    ];

    public static bool IsSystem(string name) => System.Any(s => string.Equals(s.Key, name, StringComparison.Ordinal));

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_]*$", RegexOptions.CultureInvariant)]
    public static partial Regex NamePattern();
}
