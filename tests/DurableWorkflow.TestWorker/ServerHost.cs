using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DurableWorkflow.TestWorker;

/// <summary>
/// The real server binary (<c>dotnet DurableWorkflow.Server.dll --urls http://127.0.0.1:PORT</c>) as a child process,
/// configured with <c>DW_*</c> environment variables. Ready once <c>/api/ready</c> answers 200; killed on dispose.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private const int KeptOutputLines = 200;

    private readonly Process process;
    private readonly ConcurrentQueue<(long Number, string Line)> output = new();
    private long linesWritten;

    private ServerHost(Process process, int port, string name)
    {
        this.process = process;
        Port = port;
        Name = name;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public bool HasExited => process.HasExited;

    /// <summary>The server process's id (e.g. to read its <c>/proc/&lt;pid&gt;/status</c>).</summary>
    public int ProcessId => process.Id;

    /// <summary>The last lines the server wrote (stdout and stderr), for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, output.Select(o => o.Line));

    /// <summary>How many lines the server has written so far; pass it to <see cref="OutputSince"/> later.</summary>
    public long OutputMark => Interlocked.Read(ref linesWritten);

    /// <summary>The kept lines written after <paramref name="mark"/>.</summary>
    public string OutputSince(long mark) => string.Join(Environment.NewLine, output.Where(o => o.Number > mark).Select(o => o.Line));

    public static async Task<ServerHost> StartAsync(
        string functionsAssembly,
        IReadOnlyDictionary<string, string?> environment,
        string name,
        TimeSpan readyTimeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!File.Exists(functionsAssembly))
        {
            throw new FileNotFoundException($"Server assembly not built: {functionsAssembly}", functionsAssembly);
        }

        var port = FreeTcpPort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(functionsAssembly);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

        // Never inherit a Functions-host port or URL override from the caller's environment.
        info.Environment.Remove("FUNCTIONS_CUSTOMHANDLER_PORT");
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the server process.");
        var host = new ServerHost(process, port, name);
        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitReadyAsync(readyTimeout, cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTimeOffset.UtcNow + timeout;
        var observed = "no answer";
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Server {Name} exited with {process.ExitCode} before it was ready:{Environment.NewLine}{RecentOutput}");
            }

            try
            {
                using var response = await http.GetAsync("/api/ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                observed = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException ex)
            {
                observed = ex.Message;
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                observed = ex.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        throw new TimeoutException($"Server {Name} not ready within {timeout.TotalSeconds} s; last /api/ready: {observed}{Environment.NewLine}{RecentOutput}");
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue((Interlocked.Increment(ref linesWritten), line));
        while (output.Count > KeptOutputLines && output.TryDequeue(out _))
        {
        }
    }
}
