using System.Reflection;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Engine;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Tests.Logging;

/// <summary>
/// Dashboards and alerts select log lines by event id alone, whatever the category, so an id may name only one event
/// across every assembly of the server (engine 1000s, polls 1100s, scheduler 1200s, API pipeline 1300s).
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void every_source_generated_log_event_id_is_used_once_across_the_server()
    {
        var events = new[] { typeof(EngineTransaction).Assembly, typeof(ApiPipeline).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(method => (Method: $"{method.DeclaringType!.Name}.{method.Name}", Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Attribute is not null)
            .ToList();

        Assert.NotEmpty(events);
        var shared = events.GroupBy(e => e.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}")
            .ToList();
        Assert.Empty(shared);
    }
}
