using System.Reflection;
using DurableWorkflow.Core.Engine;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>Engine log events are found by their ids in operations dashboards, so the ids must stay unique and in range.</summary>
public sealed class EngineLogTests
{
    private static readonly Type EngineLog = typeof(EngineTransaction).Assembly.GetType("DurableWorkflow.Core.Engine.EngineLog", throwOnError: true)!;

    [Fact]
    public void every_engine_log_event_has_a_unique_id()
    {
        var ids = Events().Select(e => e.EventId).ToList();
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void task_transition_events_use_ids_1000_to_1099_and_cover_the_required_transitions()
    {
        var tasks = Events().Where(e => e.EventId is >= 1000 and < 1100).Select(e => e.Method).ToList();
        foreach (var name in new[]
                 {
                     "LeaseRecovered", "LeasesRecoveredOnQueue", "WorkerLeasesReleased", "WorkflowTaskFenced", "ActivityOutcomeFenced",
                     "CommandBatchRefused", "TransactionRetried", "TimerPass", "ActivityTimeoutPass",
                 })
        {
            Assert.Contains(name, tasks);
        }
    }

    private static IEnumerable<(int EventId, string Method)> Events() =>
        EngineLog.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => (m.Attribute!.EventId, m.Method.Name));
}
