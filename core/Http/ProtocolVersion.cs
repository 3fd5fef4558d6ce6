using System.Globalization;

namespace DurableWorkflow.Core.Http;

/// <summary>A worker-protocol version <c>MAJOR.MINOR</c>, decimal digits only.</summary>
public readonly record struct ProtocolVersion(int Major, int Minor)
{
    public static bool TryParse(string? text, out ProtocolVersion version)
    {
        version = default;
        if (text is null)
        {
            return false;
        }

        var parts = text.Trim().Split('.');
        if (parts.Length != 2 || !IsDigits(parts[0]) || !IsDigits(parts[1]))
        {
            return false;
        }

        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }

        version = new ProtocolVersion(major, minor);
        return true;
    }

    /// <summary>Same major, minor not ahead of the advertised one: old workers keep working against a newer node.</summary>
    public bool Accepts(ProtocolVersion requested) => requested.Major == Major && requested.Minor <= Minor;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");

    private static bool IsDigits(string part) => part.Length is > 0 and <= 9 && part.All(char.IsAsciiDigit);
}
