using System.Security.Cryptography;
using System.Text;
using DurableWorkflow.Core.Configuration;

namespace DurableWorkflow.Core.Http;

/// <summary>Bearer-token authentication with role tokens and the legacy shared token (control-plane spec §1.4).</summary>
public sealed class TokenAuthenticator(ServerSettings settings)
{
    private readonly AuthSettings auth = settings.Auth;

    /// <summary>Returns the principal, or the error to answer with (401, or 500 when auth is misconfigured).</summary>
    public AuthenticationResult Authenticate(string? authorizationHeader)
    {
        if (auth.Driver == AuthDriver.None)
        {
            return AuthenticationResult.Success(Principal.Anonymous);
        }

        if (!auth.HasUsableCredential)
        {
            return AuthenticationResult.Failure(ApiErrors.AuthMisconfigured());
        }

        var token = ExtractBearerToken(authorizationHeader);
        if (string.IsNullOrEmpty(token))
        {
            return AuthenticationResult.Failure(ApiErrors.Unauthorized());
        }

        foreach (var (candidate, role) in RoleTokens())
        {
            if (FixedTimeEquals(token, candidate))
            {
                return AuthenticationResult.Success(new Principal($"role:{role.ToWire()}", role, LegacyFullAccess: false));
            }
        }

        if (auth.BackwardCompatible && auth.LegacyToken is { } legacy && FixedTimeEquals(token, legacy))
        {
            return AuthenticationResult.Success(new Principal("legacy-token", Role.Admin, LegacyFullAccess: !auth.HasRoleTokens));
        }

        return AuthenticationResult.Failure(ApiErrors.Unauthorized());
    }

    /// <summary>
    /// The text after the last case-insensitive <c>Bearer </c> in the header, cut at the first comma: the rule the
    /// upstream server applies, so clients that send odd but accepted headers keep working.
    /// </summary>
    public static string? ExtractBearerToken(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        var index = header.LastIndexOf("Bearer ", StringComparison.OrdinalIgnoreCase);
        if (index < 0)
        {
            return null;
        }

        var token = header[(index + "Bearer ".Length)..];
        var comma = token.IndexOf(',', StringComparison.Ordinal);
        if (comma >= 0)
        {
            token = token[..comma];
        }

        return token.Trim();
    }

    private IEnumerable<(string Token, Role Role)> RoleTokens()
    {
        if (auth.WorkerToken is { } worker)
        {
            yield return (worker, Role.Worker);
        }

        if (auth.OperatorToken is { } op)
        {
            yield return (op, Role.Operator);
        }

        if (auth.AdminToken is { } admin)
        {
            yield return (admin, Role.Admin);
        }
    }

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

public sealed record AuthenticationResult(Principal? Principal, ApiError? Error)
{
    public static AuthenticationResult Success(Principal principal) => new(principal, null);

    public static AuthenticationResult Failure(ApiError error) => new(null, error);
}
