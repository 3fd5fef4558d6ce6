using DurableWorkflow.Api;
using DurableWorkflow.Api.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DurableWorkflow.Functions;

/// <summary>
/// The Azure Functions isolated worker: the host owns the public HTTP front end and routes each request to one function
/// in Routes/, which hands it to the same pipeline the standalone server maps. An explicit entry class rather than
/// top-level statements: the test project references both hosts, and each top-level <c>Program</c> would be public.
/// </summary>
public static class FunctionsProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddDurableWorkflowApi();

        // Durable timers and activity timeouts fire on every node, as on a standalone node; the scheduler runs from
        // its timer trigger instead of an in-process timer.
        builder.Services.AddHostedService<TimerPumpService>();

        using var app = builder.Build();
        if (app.Services.ConfigurationError() is { } configurationError)
        {
            await Console.Error.WriteLineAsync(configurationError);
            return 1;
        }

        await app.RunAsync();
        return 0;
    }
}
