using System.Diagnostics.Metrics;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>
/// Counts the database round trips (Npgsql's <c>db.client.operation.duration</c> measurements) of the pools whose
/// name carries <paramref name="application"/>, i.e. of one in-process server given that <c>Application Name</c>.
/// Other servers running in this test process at the same time use other names and are not counted.
/// </summary>
public sealed class NpgsqlOperationCounter : IDisposable
{
    private const string OperationDuration = "db.client.operation.duration";

    private readonly MeterListener listener = new();
    private readonly string application;
    private long operations;

    public NpgsqlOperationCounter(string application)
    {
        this.application = application;
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == OperationDuration)
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>(OnMeasurement);
        listener.Start();
    }

    /// <summary>Round trips of this server so far.</summary>
    public long Count => Interlocked.Read(ref operations);

    /// <summary>This server's round trips per second over <paramref name="window"/>.</summary>
    public async Task<double> RateAsync(TimeSpan window)
    {
        var before = Count;
        await Task.Delay(window);
        return (Count - before) / window.TotalSeconds;
    }

    public void Dispose() => listener.Dispose();

    private void OnMeasurement(Instrument instrument, double measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key.EndsWith("pool.name", StringComparison.Ordinal) && tag.Value is string pool && pool.Contains(application, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref operations);
                return;
            }
        }
    }
}
