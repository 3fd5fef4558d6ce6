using DurableWorkflow.RollingUpgrade;

// Two entry points in one executable: the drill itself, and the worker processes it starts (one per cohort member),
// so stopping a cohort is stopping real processes.
if (args.Length > 0 && args[0] == "worker")
{
    return await DrillWorker.RunAsync(WorkerSettings.Parse(args[1..]));
}

DrillSettings settings;
try
{
    settings = DrillSettings.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"drill: {ex.Message}");
    await Console.Error.WriteLineAsync(DrillSettings.Usage);
    return 2;
}

await using var drill = new Drill(settings);
return await drill.RunAsync();
