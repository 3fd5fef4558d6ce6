namespace DurableWorkflow.Core.Http;

/// <summary>
/// The authenticated caller. <see cref="LegacyFullAccess"/> is the driver-<c>none</c> principal, or the legacy shared
/// token while no role token is configured: it passes every guard, worker routes included.
/// </summary>
public sealed record Principal(string Subject, Role? Role, bool LegacyFullAccess)
{
    public static Principal Anonymous { get; } = new("anonymous", Http.Role.Admin, LegacyFullAccess: true);

    public bool Satisfies(RouteGuard guard) =>
        guard.IsPublic || LegacyFullAccess || (Role is { } role && guard.AllowedRoles.Contains(role));
}
