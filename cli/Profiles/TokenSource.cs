namespace DurableWorkflow.Cli.Profiles;

/// <summary>
/// Where a profile's bearer token comes from: the name of an environment variable read at invocation time (the
/// default advice, so no secret sits in the config file) or a literal stored on disk.
/// </summary>
public sealed record TokenSource(string Type, string Value)
{
    public const string Literal = "literal";
    public const string Env = "env";
}
