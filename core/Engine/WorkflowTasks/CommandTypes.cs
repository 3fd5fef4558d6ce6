namespace DurableWorkflow.Core.Engine.WorkflowTasks;

public static class CommandTypes
{
    public const string ScheduleActivity = "schedule_activity";
    public const string StartTimer = "start_timer";
    public const string StartChildWorkflow = "start_child_workflow";
    public const string CompleteWorkflow = "complete_workflow";
    public const string FailWorkflow = "fail_workflow";
    public const string ContinueAsNew = "continue_as_new";
    public const string RecordSideEffect = "record_side_effect";
    public const string RecordVersionMarker = "record_version_marker";
    public const string UpsertSearchAttributes = "upsert_search_attributes";
    public const string OpenConditionWait = "open_condition_wait";
    public const string CompleteUpdate = "complete_update";
    public const string FailUpdate = "fail_update";

    public static readonly IReadOnlyList<string> All =
    [
        CompleteWorkflow, FailWorkflow, ContinueAsNew, ScheduleActivity, StartTimer, StartChildWorkflow, CompleteUpdate,
        FailUpdate, RecordSideEffect, RecordVersionMarker, UpsertSearchAttributes, OpenConditionWait,
    ];

    /// <summary>Commands that take a number from the run's step counter (worker-protocol spec §6.3).</summary>
    public static readonly IReadOnlyList<string> Steps =
    [
        ScheduleActivity, StartTimer, StartChildWorkflow, RecordSideEffect, RecordVersionMarker, UpsertSearchAttributes,
        OpenConditionWait,
    ];
}
