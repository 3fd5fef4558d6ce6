namespace DurableWorkflow.Cli.Profiles;

/// <summary>The whole config file: the profile chosen by <c>dw env:use</c> (if any) and every profile by name.</summary>
public sealed record ProfileConfig(string? CurrentEnv, SortedDictionary<string, Profile> Envs)
{
    public static ProfileConfig Empty() => new(null, new SortedDictionary<string, Profile>(StringComparer.Ordinal));
}
