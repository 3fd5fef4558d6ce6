using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>
/// HAProxy in front of the API nodes: <c>option httpchk GET /api/ready</c> gates rotation, the runtime API (admin
/// socket) takes a node out (<c>maint</c>) and puts it back (<c>ready</c>), and every request is logged to stdout with
/// the server that answered and the termination state, which is how the drill tells a node's 5xx from its own.
/// </summary>
public sealed class HaProxy : IAsyncDisposable
{
    public const string Backend = "api";

    private readonly string socketPath;
    private readonly ChildProcess process;

    private HaProxy(string socketPath, ChildProcess process, int port, string logPath)
    {
        this.socketPath = socketPath;
        this.process = process;
        Port = port;
        LogPath = logPath;
    }

    public int Port { get; }

    public string LogPath { get; }

    public Uri Address => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    public static async Task<HaProxy> StartAsync(string stateDirectory, int port, IReadOnlyList<(string Name, int Port)> servers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var socket = Path.Combine(stateDirectory, "haproxy.sock");
        var config = Path.Combine(stateDirectory, "haproxy.cfg");
        var log = Path.Combine(stateDirectory, "haproxy.log");
        var text = new StringBuilder();
        text.AppendLine("global");
        text.AppendLine("    log stdout format raw local0");
        text.AppendLine(CultureInfo.InvariantCulture, $"    stats socket {socket} mode 600 level admin");
        text.AppendLine("    maxconn 2000");
        text.AppendLine("defaults");
        text.AppendLine("    mode http");
        text.AppendLine("    log global");
        // One line per request: server, status, termination state ("--" = the server answered normally).
        text.AppendLine("    log-format \"%s %ST %ts %HM %HPO %Ta\"");
        text.AppendLine("    timeout connect 2s");
        // A loaded node can take a while to answer /api/ready; a check timeout is a missed check, not a verdict.
        text.AppendLine("    timeout check 3s");
        // Long-polls hold up to DW_WORKER_POLL_TIMEOUT (5 s here) plus the client's margin.
        text.AppendLine("    timeout client 90s");
        text.AppendLine("    timeout server 90s");
        text.AppendLine("    option redispatch");
        text.AppendLine("    retries 2");
        text.AppendLine("frontend lb");
        text.AppendLine(CultureInfo.InvariantCulture, $"    bind 127.0.0.1:{port}");
        text.AppendLine(CultureInfo.InvariantCulture, $"    default_backend {Backend}");
        text.AppendLine(CultureInfo.InvariantCulture, $"backend {Backend}");
        text.AppendLine("    balance roundrobin");
        text.AppendLine("    option httpchk GET /api/ready");
        text.AppendLine("    http-check expect status 200");
        text.AppendLine("    default-server inter 1s fall 3 rise 2");
        foreach (var (name, serverPort) in servers)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    server {name} 127.0.0.1:{serverPort} check");
        }

        await File.WriteAllTextAsync(config, text.ToString(), cancellationToken);
        var binary = File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy";
        var child = ChildProcess.Start("haproxy", binary, ["-f", config, "-db"], new Dictionary<string, string?>(), log);
        var proxy = new HaProxy(socket, child, port, log);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (!File.Exists(socket))
        {
            if (child.HasExited || DateTimeOffset.UtcNow > deadline)
            {
                throw new InvalidOperationException($"HAProxy did not start; see {log}");
            }

            await Task.Delay(100, cancellationToken);
        }

        return proxy;
    }

    /// <summary>One runtime-API command, e.g. <c>set server api/n1 state maint</c>; returns HAProxy's answer.</summary>
    public async Task<string> CommandAsync(string command, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, cancellationToken);
        var answer = new StringBuilder();
        var buffer = new byte[16384];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    public Task SetStateAsync(string server, string state, CancellationToken cancellationToken) =>
        CommandAsync($"set server {Backend}/{server} state {state}", cancellationToken);

    /// <summary>The server's row of <c>show stat</c>: status (UP, DOWN, MAINT, ...) and current sessions.</summary>
    public async Task<(string Status, int Sessions)> ServerStatAsync(string server, CancellationToken cancellationToken)
    {
        var csv = await CommandAsync("show stat", cancellationToken);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var status = Array.IndexOf(header, "status");
        var scur = Array.IndexOf(header, "scur");
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length > Math.Max(status, scur) && fields[0] == Backend && fields[1] == server)
            {
                return (fields[status], int.Parse(fields[scur], CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException($"HAProxy has no server {Backend}/{server}: {csv}");
    }

    /// <summary>Waits until HAProxy reports the server's status starting with <paramref name="prefix"/>.</summary>
    public async Task WaitStatusAsync(string server, string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var last = "?";
        while (DateTimeOffset.UtcNow < deadline)
        {
            (last, _) = await ServerStatAsync(server, cancellationToken);
            if (last.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"HAProxy never reported {server} as {prefix} within {timeout.TotalSeconds} s (last: {last}).");
    }

    /// <summary>Parsed request log: (server, status, termination state).</summary>
    public IReadOnlyList<(string Server, int Status, string Termination, string Request)> ReadLog()
    {
        var rows = new List<(string, int, string, string)>();
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ', 5);
            if (parts.Length >= 4 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var status))
            {
                rows.Add((parts[0], status, parts[2], parts.Length > 4 ? parts[3] + " " + parts[4] : parts[3]));
            }
        }

        return rows;
    }

    public async ValueTask DisposeAsync() => await process.DisposeAsync();
}
