using System.Globalization;
using System.Text;

namespace DurableWorkflow.Cli.Http;

/// <summary>
/// A GET query built the way the official CLI's HTTP client builds it: null values dropped, booleans as <c>1</c>/<c>0</c>.
/// </summary>
public sealed class QueryString
{
    private readonly List<KeyValuePair<string, string>> pairs = [];

    public bool IsEmpty => pairs.Count == 0;

    public QueryString Add(string key, string? value)
    {
        if (value is not null)
        {
            pairs.Add(new(key, value));
        }

        return this;
    }

    public QueryString Add(string key, int? value) => Add(key, value?.ToString(CultureInfo.InvariantCulture));

    public QueryString Add(string key, bool value) => Add(key, value ? "1" : "0");

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            text.Append(text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return text.ToString();
    }
}
