using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Functions.Endpoints;
using DurableWorkflow.Functions.Hosting;
using DurableWorkflow.Functions.Pipeline;

var builder = WebApplication.CreateBuilder(args);
FunctionsHost.ConfigureKestrel(builder);
builder.Services.AddDurableWorkflowServer();

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

app.UseMiddleware<UnhandledErrorMiddleware>();
app.UseMiddleware<ResponseCompressionMiddleware>();
app.UseRouting();
app.UseMiddleware<FrameworkErrorMiddleware>();
app.UseMiddleware<ApiPipelineMiddleware>();
app.MapSystemEndpoints();
app.MapNamespaceEndpoints();
app.MapWorkerEndpoints();
app.MapWorkflowEndpoints();
app.MapWorkflowTaskEndpoints();
app.MapWorkflowCommandEndpoints();
app.MapQueryTaskEndpoints();
app.MapActivityTaskEndpoints();
app.MapSchedulerTick();

await app.RunAsync();
return 0;

public partial class Program;
