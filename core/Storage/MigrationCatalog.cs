using System.Reflection;

namespace DurableWorkflow.Core.Storage;

/// <summary>
/// The numbered SQL scripts embedded in this assembly. Bootstrap applies them; readiness compares them with the
/// journal, so both always agree on what "every migration applied" means.
/// </summary>
public static class MigrationCatalog
{
    /// <summary>The journal DbUp writes; one row per applied script.</summary>
    public const string JournalTable = "dw_schema_migrations";

    private const string Prefix = "Migrations/";

    public static IReadOnlyList<MigrationScript> All { get; } = Load();

    private static List<MigrationScript> Load()
    {
        var assembly = typeof(MigrationCatalog).Assembly;
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new MigrationScript(n[Prefix.Length..], ReadResource(assembly, n)))];
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded migration {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>One migration: its file name (the journal key) and its SQL.</summary>
public sealed record MigrationScript(string Name, string Sql);
