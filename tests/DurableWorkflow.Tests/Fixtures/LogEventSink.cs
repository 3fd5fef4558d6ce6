using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>Keeps the event id and message of every entry a server logs, so a test can wait for a transition.</summary>
public sealed class LogEventSink : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, string Message)> entries = new();

    public int Count(int eventId) => entries.Count(e => e.EventId == eventId);

    /// <summary>Waits until at least <paramref name="count"/> entries with the event id were logged, or fails.</summary>
    public async Task WaitForAsync(int eventId, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Count(eventId) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"log event {eventId} was logged {Count(eventId)} times, expected {count} within {timeout}");
            await Task.Delay(20);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Sink(entries);

    public void Dispose()
    {
    }

    private sealed class Sink(ConcurrentQueue<(int, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            entries.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
