using System.Security.Cryptography;
using System.Text;

namespace DurableWorkflow.Core.Engine;

/// <summary>Keys of <c>workflow_poll_requests</c> (docs/schema.md §6.5).</summary>
public static class PollRequests
{
    /// <summary>Hashed because the natural key (namespace, kind, queue, build, worker, request id) can exceed a btree row.</summary>
    public static byte[] Key(string ns, string taskKind, string queue, string? buildId, string workerId, string pollRequestId) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u0001', ns, taskKind, queue, buildId ?? string.Empty, workerId, pollRequestId)));
}
