namespace DurableWorkflow.Core.Configuration;

/// <summary>Process classes and the roles each hosts, per deployment shape (rollout contract §1.2).</summary>
public static class TopologyCatalog
{
    private static readonly Dictionary<string, (string ProcessClass, string[] Roles)[]> ClassesByShape = new()
    {
        ["embedded"] =
        [
            ("application_process", ["control_plane", "matching", "history_projection", "scheduler", "execution_plane"]),
        ],
        ["standalone_server"] =
        [
            ("server_http_node", ["api_ingress", "control_plane", "matching", "history_projection"]),
            ("scheduler_node", ["scheduler"]),
            ("worker_node", ["execution_plane"]),
        ],
        ["split_control_execution"] =
        [
            ("control_plane_node", ["api_ingress", "control_plane", "history_projection"]),
            ("ingress_node", ["api_ingress"]),
            ("scheduler_node", ["scheduler"]),
            ("matching_node", ["matching"]),
            ("execution_node", ["execution_plane"]),
        ],
    };

    public static IReadOnlyList<string> Shapes { get; } = ["embedded", "standalone_server", "split_control_execution"];

    public static IReadOnlyList<string> RoleVocabulary { get; } =
        ["api_ingress", "control_plane", "matching", "history_projection", "scheduler", "execution_plane"];

    public static string DefaultProcessClass(string shape) => ClassesByShape[shape][0].ProcessClass;

    public static bool HasProcessClass(string shape, string processClass) =>
        ClassesByShape.TryGetValue(shape, out var classes) && classes.Any(c => c.ProcessClass == processClass);

    public static IReadOnlyList<string> RolesOf(string shape, string processClass) =>
        ClassesByShape[shape].First(c => c.ProcessClass == processClass).Roles;
}
