using DurableWorkflow.Api;
using DurableWorkflow.Api.Hosting;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddDurableWorkflowApi();
builder.Services.AddHostedService<TimerPumpService>();
builder.Services.AddHostedService<StandaloneScheduler>();

var app = builder.Build();
if (app.Services.ConfigurationError() is { } configurationError)
{
    await Console.Error.WriteLineAsync(configurationError);
    return 1;
}

// Routing only dispatches: every answer, errors included, is written by the pipeline the Functions app also uses.
var pipeline = app.Services.GetRequiredService<ApiPipeline>();
foreach (var route in ApiRoutes.All)
{
    RequestDelegate serve = context => pipeline.InvokeAsync(context, route);
    app.MapMethods(route.Pattern, route.Methods, serve).WithDisplayName(route.Name);
}

app.MapFallback("{*path}", (RequestDelegate)pipeline.NotFoundAsync);

await app.RunAsync();
return 0;

public partial class Program;
