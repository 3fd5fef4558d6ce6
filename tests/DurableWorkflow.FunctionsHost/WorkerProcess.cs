using System.Collections.Concurrent;
using System.Diagnostics;

namespace DurableWorkflow.FunctionsHost;

/// <summary>The worker as a child process (<c>dotnet Worker.dll ARGS</c>), its output kept for diagnostics; killed on dispose.</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 400;

    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private WorkerProcess(Process process)
    {
        this.process = process;
    }

    public bool HasExited => process.HasExited;

    public int Id => process.Id;

    public string RecentOutput => string.Join(Environment.NewLine, output);

    public static WorkerProcess Start(string workerAssembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(workerAssembly)!,
        };
        info.ArgumentList.Add(workerAssembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

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

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the worker process.");
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Completes when the process exits.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                // Like the host on shutdown: no drain, the process is killed.
                process.Kill(entireProcessTree: true);
            }

            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (OperationCanceledException)
        {
            // Killed but not reaped in time; nothing more can be done from here.
        }

        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > KeptOutputLines && output.TryDequeue(out _))
        {
        }
    }
}
