namespace DurableWorkflow.Cli;

/// <summary>
/// Resolved connection settings: flag, then environment variable, then the selected profile, then the built-in default
/// (spec §13.1). The two protocol versions the CLI speaks come from their environment variables or the defaults only.
/// </summary>
public sealed record ConnectionSettings(
    Uri Server,
    string Namespace,
    string? Token,
    bool TlsVerify,
    OutputMode Output,
    string ControlPlaneVersion = ConnectionSettings.DefaultControlPlaneVersion,
    string WorkerProtocolVersion = ConnectionSettings.DefaultWorkerProtocolVersion)
{
    public const string DefaultServer = "http://localhost:8080";
    public const string DefaultNamespace = "default";
    public const string DefaultControlPlaneVersion = "2";
    public const string DefaultWorkerProtocolVersion = "1.0";

    /// <summary>The same settings aimed at another node (rollout commands talk to each node directly).</summary>
    public ConnectionSettings ForNode(Uri node) => this with { Server = node };
}
