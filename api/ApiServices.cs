using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Core.Bridge;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Discovery;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Engine.Activities;
using DurableWorkflow.Core.Engine.Queries;
using DurableWorkflow.Core.Engine.Timers;
using DurableWorkflow.Core.Engine.WorkflowTasks;
using DurableWorkflow.Core.Workflows;
using DurableWorkflow.Core.Http;
using DurableWorkflow.Core.Namespaces;
using DurableWorkflow.Core.Operations;
using DurableWorkflow.Core.Payloads.Storage;
using DurableWorkflow.Core.Readiness;
using DurableWorkflow.Core.Scheduling;
using DurableWorkflow.Core.Scheduling.Passes;
using DurableWorkflow.Core.Scheduling.Schedules;
using DurableWorkflow.Core.SearchAttributes;
using DurableWorkflow.Core.Storage;
using DurableWorkflow.Core.Workers;
using Npgsql;

namespace DurableWorkflow.Api;

public static class ApiServices
{
    /// <summary>
    /// Everything the API routes and <see cref="ApiPipeline"/> need. Background loops (the timer pump, a scheduler
    /// timer) are the host's to register: each host drives them its own way.
    /// </summary>
    public static IServiceCollection AddDurableWorkflowApi(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => ServerSettingsLoader.Load(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(DispatchDataSource.Split(sp.GetRequiredService<ServerSettings>().DatabaseConnection).Main)
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());
        services.AddSingleton(sp => new DispatchDataSource(
            DispatchDataSource.Split(sp.GetRequiredService<ServerSettings>().DatabaseConnection).Dispatch, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ICoordinationCache>(sp =>
        {
            var settings = sp.GetRequiredService<ServerSettings>();
            return settings.RedisConnection is { } redis
                ? new RedisCoordinationCache(redis, sp.GetRequiredService<ILogger<RedisCoordinationCache>>())
                : new InProcessCoordinationCache(sp.GetRequiredService<TimeProvider>());
        });

        services.AddSingleton<TokenAuthenticator>();
        services.AddSingleton<VersionGate>();
        services.AddSingleton<ClusterInfoBuilder>();
        services.AddSingleton<FleetSnapshotReader>();
        services.AddSingleton<OperatorMetricsReader>();
        services.AddSingleton<WorkerCompatibilityCheck>();
        services.AddSingleton<RoutingDrainsReader>();
        services.AddSingleton<TaskQueueReader>();
        services.AddSingleton<ServerMetricsReader>();
        services.AddSingleton(sp =>
        {
            var builder = sp.GetRequiredService<ClusterInfoBuilder>();
            return new WorkerEnvelope(sp.GetRequiredService<VersionGate>(), builder.ServerCapabilitiesJson);
        });
        services.AddSingleton<ApiResponses>();
        services.AddSingleton<ReadinessProbe>();
        services.AddSingleton<BootAdmission>();
        services.AddHostedService<Hosting.BootAdmissionService>();
        services.AddSingleton<NamespaceRepository>();
        services.AddSingleton<NamespaceExistenceCache>();
        services.AddSingleton<NamespaceService>();
        services.AddSingleton<WorkerRegistrationRepository>();
        services.AddSingleton<WorkerRegistry>();
        services.AddSingleton<BuildIdRolloutService>();
        services.AddSingleton<WakeBus>();
        services.AddSingleton<PollRunner>();
        services.AddSingleton<WorkflowStartService>();
        services.AddSingleton<WorkflowReadService>();
        services.AddSingleton<SearchAttributeStore>();
        services.AddSingleton<SearchAttributeService>();
        services.AddSingleton<WorkflowTaskService>();
        services.AddSingleton<QueryTaskBroker>();
        services.AddSingleton<QueryTaskService>();
        services.AddSingleton<WorkflowCommandService>();
        services.AddSingleton<ActivityTaskService>();
        services.AddSingleton<TimerPump>();
        services.AddSingleton<ActivityTimeoutEnforcer>();
        services.AddSingleton<SchedulerLease>();
        services.AddSingleton<StartRouter>();
        services.AddSingleton<IScheduleStartGate, CompatibilityScheduleStartGate>();
        services.AddSingleton<ScheduleFirer>();
        services.AddSingleton<ScheduleService>();
        services.AddSingleton<ScheduleMetrics>();
        services.AddSingleton<SchedulePass>();
        services.AddSingleton<ActivityTimeoutPass>();
        services.AddSingleton<ISchedulerPass>(sp => sp.GetRequiredService<SchedulePass>());
        services.AddSingleton<ISchedulerPass>(sp => sp.GetRequiredService<ActivityTimeoutPass>());
        services.AddSingleton<TaskRepairPass>();
        services.AddSingleton<ISchedulerPass>(sp => sp.GetRequiredService<TaskRepairPass>());
        services.AddSingleton<HistoryRetentionPass>();
        services.AddSingleton<ISchedulerPass>(sp => sp.GetRequiredService<HistoryRetentionPass>());
        services.AddSingleton<SchedulerTickRunner>();
        services.AddSingleton<IPayloadStorageDriverFactory, LocalDirectoryDriverFactory>();
        services.AddSingleton<IPayloadStorageDriverFactory, AzureBlobDriverFactory>();
        services.AddSingleton<PayloadStorageDrivers>();
        services.AddSingleton<StorageTestService>();
        services.AddSingleton<BridgeEventStore>();
        services.AddSingleton<BridgeWebhookService>();
        services.AddSingleton<ApiPipeline>();
        return services;
    }

    /// <summary>
    /// Resolves the settings once at start-up, so an invalid <c>DW_*</c> value stops the host with one line naming it
    /// instead of failing every request; null when the settings are valid.
    /// </summary>
    public static string? ConfigurationError(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        try
        {
            services.GetRequiredService<ServerSettings>();
            return null;
        }
        catch (ConfigurationException ex)
        {
            return $"Invalid configuration: {ex.Message}";
        }
    }
}
