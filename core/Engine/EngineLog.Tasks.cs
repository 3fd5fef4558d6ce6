using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.Engine;

// The parts of EngineLog are split by area with disjoint event-id ranges (tasks 1000–1099, polls 1100–1199); the
// accessibility is left to the default so every part agrees.
static partial class EngineLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Recovered the expired {TaskType} lease of task {TaskId} on {Namespace}/{TaskQueue} (run open: {RunOpen})")]
    public static partial void LeaseRecovered(ILogger logger, string taskType, string taskId, string @namespace, string taskQueue, bool runOpen);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Deregistration of worker {WorkerId} in {Namespace} returned {Count} leased workflow tasks to ready")]
    public static partial void WorkerLeasesReleased(ILogger logger, string workerId, string @namespace, int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "Poll-path recovery returned {Count} expired {TaskType} leases of {Namespace}/{TaskQueue} to ready")]
    public static partial void LeasesRecoveredOnQueue(ILogger logger, int count, string taskType, string @namespace, string taskQueue);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information,
        Message = "Fenced {Operation} of workflow task {TaskId} attempt {Attempt} by {LeaseOwner}: {Reason}")]
    public static partial void WorkflowTaskFenced(ILogger logger, string operation, string taskId, int attempt, string leaseOwner, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Debug,
        Message = "Replayed the stored answer of workflow task {TaskId} attempt {Attempt} to an identical retry")]
    public static partial void CompletionReplayed(ILogger logger, string taskId, int attempt);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information,
        Message = "Fenced the {Outcome} of activity task {TaskId} attempt {AttemptId} by {LeaseOwner}: {Reason}")]
    public static partial void ActivityOutcomeFenced(ILogger logger, string outcome, string taskId, string attemptId, string leaseOwner, string reason);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning,
        Message = "Refused the command batch of workflow task {TaskId} (run {RunId}); nothing was written: {Problem}")]
    public static partial void CommandBatchRefused(ILogger logger, string taskId, string runId, string problem);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information,
        Message = "Worker {LeaseOwner} failed workflow task {TaskId} attempt {Attempt}; it is offered again after the repair back-off")]
    public static partial void WorkflowTaskFailed(ILogger logger, string leaseOwner, string taskId, int attempt);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning,
        Message = "{Operation} on {WorkflowId} lost a lock conflict (SQLSTATE {SqlState}) on attempt {Attempt}; retrying from scratch")]
    public static partial void TransactionRetried(ILogger logger, string operation, string workflowId, string sqlState, int attempt);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Debug,
        Message = "Timer pass: {Due} due timer tasks, {Fired} fired, {TimedOut} runs timed out")]
    public static partial void TimerPass(ILogger logger, int due, int fired, int timedOut);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information,
        Message = "Run {RunId} passed its {TimeoutKind} deadline and failed as timed_out")]
    public static partial void RunTimedOut(ILogger logger, string runId, string timeoutKind);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Debug,
        Message = "Activity-timeout pass: {Due} overdue executions, {Enforced} timed out")]
    public static partial void ActivityTimeoutPass(ILogger logger, int due, int enforced);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Information,
        Message = "Activity execution {ExecutionId} of run {RunId} hit its {TimeoutKind} timeout (retrying: {Retrying})")]
    public static partial void ActivityTimedOut(ILogger logger, string executionId, string runId, string timeoutKind, bool retrying);
}
