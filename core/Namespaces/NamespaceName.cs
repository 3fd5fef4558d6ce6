using System.Text.RegularExpressions;

namespace DurableWorkflow.Core.Namespaces;

public static partial class NamespaceName
{
    public const int MaxLength = 128;

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    public static partial Regex Pattern();

    public static bool IsValid(string name) => name.Length is > 0 and <= MaxLength && Pattern().IsMatch(name);
}
