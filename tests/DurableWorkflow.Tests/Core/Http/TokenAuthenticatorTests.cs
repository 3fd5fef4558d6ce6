using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class TokenAuthenticatorTests
{
    private static readonly AuthSettings RoleTokens = new()
    {
        WorkerToken = "w",
        OperatorToken = "o",
        AdminToken = "a",
        LegacyToken = "legacy",
    };

    [Theory]
    [InlineData("Bearer w", Role.Worker)]
    [InlineData("Bearer o", Role.Operator)]
    [InlineData("bearer a", Role.Admin)]
    [InlineData("Basic x, Bearer o", Role.Operator)]
    [InlineData("Bearer a,extra", Role.Admin)]
    public void role_tokens_authenticate_as_their_role(string header, Role role)
    {
        var result = new TokenAuthenticator(Settings.Minimal(RoleTokens)).Authenticate(header);

        Assert.Null(result.Error);
        Assert.Equal(role, result.Principal!.Role);
        Assert.False(result.Principal.LegacyFullAccess);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer ")]
    [InlineData("Bearer nope")]
    [InlineData("w")]
    public void missing_or_unknown_tokens_are_unauthorized(string? header)
    {
        var result = new TokenAuthenticator(Settings.Minimal(RoleTokens)).Authenticate(header);

        Assert.Equal("unauthorized", result.Error?.Reason);
        Assert.Equal(401, result.Error!.Status);
    }

    [Fact]
    public void legacy_token_is_a_plain_admin_once_role_tokens_exist()
    {
        var principal = new TokenAuthenticator(Settings.Minimal(RoleTokens)).Authenticate("Bearer legacy").Principal!;

        Assert.Equal(Role.Admin, principal.Role);
        Assert.False(principal.Satisfies(RouteGuard.Worker));
        Assert.True(principal.Satisfies(RouteGuard.Admin));
    }

    [Fact]
    public void legacy_token_alone_has_full_access_including_worker_routes()
    {
        var principal = new TokenAuthenticator(Settings.Minimal(new AuthSettings { LegacyToken = "legacy" })).Authenticate("Bearer legacy").Principal!;

        Assert.True(principal.LegacyFullAccess);
        Assert.True(principal.Satisfies(RouteGuard.Worker));
    }

    [Fact]
    public void legacy_token_is_refused_when_backward_compatibility_is_off()
    {
        var auth = RoleTokens with { BackwardCompatible = false };

        var result = new TokenAuthenticator(Settings.Minimal(auth)).Authenticate("Bearer legacy");

        Assert.Equal("unauthorized", result.Error?.Reason);
    }

    [Fact]
    public void token_driver_without_any_credential_is_a_server_error()
    {
        var result = new TokenAuthenticator(Settings.Minimal(new AuthSettings())).Authenticate("Bearer anything");

        Assert.Equal("server_error", result.Error?.Reason);
        Assert.Equal(500, result.Error!.Status);
    }

    [Fact]
    public void driver_none_admits_everyone_with_full_access()
    {
        var result = new TokenAuthenticator(Settings.Minimal(new AuthSettings { Driver = AuthDriver.None })).Authenticate(null);

        Assert.True(result.Principal!.LegacyFullAccess);
        Assert.True(result.Principal.Satisfies(RouteGuard.Worker));
    }

    [Fact]
    public void worker_role_does_not_satisfy_operator_routes()
    {
        var principal = new Principal("role:worker", Role.Worker, LegacyFullAccess: false);

        Assert.False(principal.Satisfies(RouteGuard.Operator));
        Assert.True(principal.Satisfies(RouteGuard.Any));
        Assert.True(principal.Satisfies(RouteGuard.Public));
    }
}
