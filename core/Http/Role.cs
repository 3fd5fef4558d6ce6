namespace DurableWorkflow.Core.Http;

public enum Role
{
    Worker,
    Operator,
    Admin,
}

public static class RoleNames
{
    public static string ToWire(this Role role) => role switch
    {
        Role.Worker => "worker",
        Role.Operator => "operator",
        Role.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };
}

/// <summary>Who may call a route (control-plane spec §1.5). Roles are listed in the order the 403 body reports them.</summary>
public sealed record RouteGuard(string Name, IReadOnlyList<Role> AllowedRoles)
{
    public static RouteGuard Public { get; } = new("public", []);

    public static RouteGuard Any { get; } = new("any", [Role.Worker, Role.Operator, Role.Admin]);

    public static RouteGuard Operator { get; } = new("op", [Role.Operator, Role.Admin]);

    public static RouteGuard Admin { get; } = new("admin", [Role.Admin]);

    public static RouteGuard Worker { get; } = new("worker", [Role.Worker]);

    public bool IsPublic => AllowedRoles.Count == 0;
}
