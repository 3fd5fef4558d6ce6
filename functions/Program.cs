using DurableWorkflow.Api;
using DurableWorkflow.Api.Hosting;
using DurableWorkflow.Core.Configuration;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The Azure Functions isolated worker: the host owns the public HTTP front end and routes each request to one function
// in Routes/, which hands it to the same pipeline the standalone server maps.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddDurableWorkflowApi();

// Durable timers and activity timeouts fire on every node, as on a standalone node; the scheduler runs from its timer trigger.
builder.Services.AddHostedService<TimerPumpService>();

var app = builder.Build();
try
{
    app.Services.GetRequiredService<ServerSettings>();
}
catch (ConfigurationException ex)
{
    await Console.Error.WriteLineAsync($"Invalid configuration: {ex.Message}");
    return 1;
}

await app.RunAsync();
return 0;
