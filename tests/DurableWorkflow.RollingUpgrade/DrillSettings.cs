using System.Globalization;

namespace DurableWorkflow.RollingUpgrade;

/// <summary>What infra/local/drill.sh hands the drill: the two builds, the services it started and the variant.</summary>
public sealed record DrillSettings
{
    public const string Usage =
        "usage: DurableWorkflow.RollingUpgrade --old-root DIR --new-root DIR --old-build-id ID --new-build-id ID " +
        "--pg CONNECTION --redis HOST:PORT --state DIR [--configuration Release] [--kill] [--budget-seconds 330]";

    public required string OldRoot { get; init; }

    public required string NewRoot { get; init; }

    public required string OldBuildId { get; init; }

    public required string NewBuildId { get; init; }

    public required string Postgres { get; init; }

    public required string Redis { get; init; }

    public required string StateDirectory { get; init; }

    public string Configuration { get; init; } = "Release";

    /// <summary>The fault variant: the middle node is killed with SIGKILL instead of being drained.</summary>
    public bool Kill { get; init; }

    public int BudgetSeconds { get; init; } = 330;

    public string ServerDll(string root) => Path.Combine(root, "server", "bin", Configuration, "net10.0", "DurableWorkflow.Server.dll");

    public string BootstrapDll(string root) => Path.Combine(root, "dbup", "bin", Configuration, "net10.0", "DurableWorkflow.Bootstrap.dll");

    public string CliDll => Path.Combine(NewRoot, "cli", "bin", Configuration, "net10.0", "DurableWorkflow.Cli.dll");

    public static DrillSettings Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var kill = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--kill")
            {
                kill = true;
                continue;
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        string Required(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required");

        return new DrillSettings
        {
            OldRoot = Required("old-root"),
            NewRoot = Required("new-root"),
            OldBuildId = Required("old-build-id"),
            NewBuildId = Required("new-build-id"),
            Postgres = Required("pg"),
            Redis = Required("redis"),
            StateDirectory = Required("state"),
            Configuration = values.GetValueOrDefault("configuration", "Release"),
            Kill = kill,
            BudgetSeconds = values.TryGetValue("budget-seconds", out var b) ? int.Parse(b, CultureInfo.InvariantCulture) : 330,
        };
    }
}
