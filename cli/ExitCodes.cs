namespace DurableWorkflow.Cli;

/// <summary>The official CLI's exit codes (control-plane spec §13.5).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Invalid = 2;
    public const int Network = 3;
    public const int Auth = 4;
    public const int NotFound = 5;
    public const int Server = 6;
    public const int Timeout = 7;
    public const int Compatibility = 8;

    /// <summary>How an HTTP error status maps to an exit code: 401/403 auth, 404 not found, 408 timeout, other 4xx invalid, 5xx server.</summary>
    public static int ForStatus(int status) => status switch
    {
        401 or 403 => Auth,
        404 => NotFound,
        408 => Timeout,
        >= 500 => Server,
        >= 400 => Invalid,
        _ => Failure,
    };
}
