using System.Net;

namespace DurableWorkflow.Functions.Hosting;

/// <summary>How this process is launched: by the Azure Functions host as a custom handler, or standalone on Kestrel.</summary>
public static class FunctionsHost
{
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>True when the Functions host started this process and will forward HTTP and timer calls to it.</summary>
    public static bool IsActive => TryGetPort(out _);

    /// <summary>
    /// Under the host, listen only on loopback at the port it chose; this overrides <c>--urls</c> and
    /// <c>ASPNETCORE_URLS</c>. Standalone, the usual URL settings apply.
    /// </summary>
    public static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (TryGetPort(out var port))
            {
                kestrel.Listen(IPAddress.Loopback, port);
            }
        });
    }

    private static bool TryGetPort(out int port) =>
        int.TryParse(Environment.GetEnvironmentVariable(PortVariable), out port) && port is > 0 and <= 65535;
}
