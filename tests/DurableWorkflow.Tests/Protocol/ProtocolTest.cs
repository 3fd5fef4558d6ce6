using Xunit.Abstractions;

namespace DurableWorkflow.Tests.Protocol;

/// <summary>Writes what the server processes logged during a test (warnings and errors) into that test's output.</summary>
public abstract class ProtocolTest : IDisposable
{
    private readonly ITestOutputHelper output;
    private readonly (ServerProcess Server, long Mark)[] marks;

    protected ProtocolTest(ITestOutputHelper output, params ServerProcess[] servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        this.output = output;
        marks = [.. servers.Select(s => (s, s.OutputMark))];
    }

    protected ITestOutputHelper Output => output;

    public void Dispose()
    {
        foreach (var (server, mark) in marks)
        {
            var text = server.OutputSince(mark);
            if (text.Length > 0)
            {
                output.WriteLine($"--- {server.Name} log ---{Environment.NewLine}{text}");
            }
        }

        GC.SuppressFinalize(this);
    }
}
