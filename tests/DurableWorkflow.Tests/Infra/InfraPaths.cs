namespace DurableWorkflow.Tests.Infra;

/// <summary>Locates the repository and the tools the infra tests use, without touching the network.</summary>
internal static class InfraPaths
{
    public const string BicepVersion = "0.49.2";

    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The folder holding DurableWorkflow.sln, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot => Root.Value;

    public static string InfraDirectory => Path.Combine(RepositoryRoot, "infra");

    public static string InRepo(params string[] parts) => Path.Combine([RepositoryRoot, .. parts]);

    /// <summary>The Bicep CLI restored by the test project's PackageDownload (NUGET_PACKAGES honoured).</summary>
    public static string BicepExecutable
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrWhiteSpace(packages))
            {
                packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            }

            var path = Path.Combine(packages, "azure.bicep.commandline.linux-x64", BicepVersion, "tools", "bicep");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"Bicep CLI {BicepVersion} not found at {path}; run 'dotnet restore tests/DurableWorkflow.Tests' (PackageDownload Azure.Bicep.CommandLine.linux-x64).",
                    path);
            }

            return path;
        }
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DurableWorkflow.sln")))
            {
                return directory.FullName;
            }

            directory = directory.Parent;
        }

        throw new DirectoryNotFoundException($"No DurableWorkflow.sln above {AppContext.BaseDirectory}.");
    }
}
