using System.CommandLine;
using System.Text.Json.Nodes;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>--build-id X</c> or <c>--unversioned</c>, exactly one of them (both or neither is exit 2).</summary>
public sealed class BuildIdSelection
{
    public Option<string?> BuildId { get; } = new("--build-id") { Description = "The build id cohort" };

    public Option<bool> Unversioned { get; } = new("--unversioned") { Description = "The unversioned cohort (workers without a build id)" };

    public Symbol[] Symbols => [BuildId, Unversioned];

    /// <summary>The chosen cohort: a build id, or null for the unversioned cohort.</summary>
    public string? Read(CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var buildId = context.Get(BuildId);
        var unversioned = context.Get(Unversioned);
        if (buildId is not null && unversioned)
        {
            throw CliException.Invalid("Use either --build-id or --unversioned, not both.", "invalid_build_id_selection");
        }

        if (buildId is null && !unversioned)
        {
            throw CliException.Invalid("Name the cohort with --build-id <id> or --unversioned.", "invalid_build_id_selection");
        }

        if (buildId is not null && string.IsNullOrWhiteSpace(buildId))
        {
            throw CliException.Invalid("--build-id must not be empty; use --unversioned for workers without a build id.", "invalid_build_id_selection");
        }

        return buildId?.Trim();
    }

    public static JsonObject Body(string? buildId) => new() { ["build_id"] = buildId };
}
