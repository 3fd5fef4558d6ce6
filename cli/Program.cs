namespace DurableWorkflow.Cli;

/// <summary>The <c>dw</c> entry point: the real console and the process environment.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args, CliIo.System());
}
