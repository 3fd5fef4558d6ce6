namespace DurableWorkflow.Core.Engine;

/// <summary>History page tokens: base64 of the decimal sequence of the last event already delivered.</summary>
public static class HistoryPageToken
{
    public static string Encode(long lastSequence) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(lastSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static bool TryDecode(string? token, out long lastSequence)
    {
        lastSequence = 0;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        try
        {
            var text = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(token));
            return text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit)
                && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out lastSequence);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
