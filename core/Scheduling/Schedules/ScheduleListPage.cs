using System.Globalization;
using System.Text;

namespace DurableWorkflow.Core.Scheduling.Schedules;

/// <summary>
/// One page request of <c>GET /api/schedules</c> (control-plane §9.2): filters, page size and the keyset cursor of the
/// newest-first order. The token is opaque to clients: base64url of the last row's <c>created_at</c> (unix
/// microseconds) and internal id, so schedules created while a client pages never shift or repeat a page.
/// </summary>
public sealed record ScheduleListPage(string? Status, string? WorkflowType, string? Query, int PageSize, ScheduleListCursor? After)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
}

public sealed record ScheduleListCursor(long CreatedAtMicros, string Id)
{
    public string Encode() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{CreatedAtMicros}|{Id}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string token, out ScheduleListCursor? cursor)
    {
        cursor = null;
        var text = token.Replace('-', '+').Replace('_', '/');
        text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var length))
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(bytes, 0, length).Split('|');
        if (parts.Length != 2 || parts[1].Length is 0 or > 26
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros))
        {
            return false;
        }

        cursor = new ScheduleListCursor(micros, parts[1]);
        return true;
    }
}

/// <summary>The raw query-string values of a schedule list request, validated by <see cref="ScheduleService.ListAsync"/>.</summary>
public sealed record ScheduleListQuery(string? Status, string? WorkflowType, string? Query, string? PageSize, string? NextPageToken);
