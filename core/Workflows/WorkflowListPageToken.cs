using System.Globalization;
using System.Text;
using DurableWorkflow.Core.Engine;

namespace DurableWorkflow.Core.Workflows;

/// <summary>Workflow list tokens: base64 of the decimal row offset of the next page (control-plane spec §1.11).</summary>
public static class WorkflowListPageToken
{
    public static string Encode(long offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(offset.ToString(CultureInfo.InvariantCulture)));

    /// <summary>An absent or undecodable token means the first page, as upstream treats it.</summary>
    public static long Decode(string? token) => HistoryPageToken.TryDecode(token, out var offset) ? offset : 0;
}
