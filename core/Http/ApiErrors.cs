using System.Text.Json.Nodes;

namespace DurableWorkflow.Core.Http;

/// <summary>The errors of the request pipeline, with the exact reasons and fields of the specs.</summary>
public static class ApiErrors
{
    public const string ControlPlaneVersion = "2";

    public static ApiError PayloadTooLarge(int limit) =>
        new ApiError(413, "payload_too_large", $"Request payload exceeds the maximum allowed size of {limit} bytes.")
            .With("limit", limit);

    public static ApiError UnsupportedMediaType() =>
        new ApiError(415, "unsupported_media_type", "Request bodies must use a JSON media type.")
            .With("accepted_content_types", new JsonArray("application/json", "application/*+json"));

    public static ApiError MalformedJson(string parserMessage) =>
        new ApiError(400, "malformed_json", "Request bodies must contain valid JSON.")
            .With("json_error", parserMessage);

    public static ApiError Unauthorized() =>
        new(401, "unauthorized", "Invalid or missing authentication token.");

    public static ApiError AuthMisconfigured() =>
        new(500, "server_error", "Auth driver is set to \"token\" but DW_AUTH_TOKEN is not configured.");

    public static ApiError Forbidden(Principal principal, RouteGuard guard)
    {
        var error = new ApiError(403, "forbidden", "Authenticated role is not allowed to access this endpoint.");
        if (principal.Role is { } role)
        {
            error.With("role", role.ToWire());
        }

        return error.With("allowed_roles", new JsonArray([.. guard.AllowedRoles.Select(r => (JsonNode?)r.ToWire())]));
    }

    public static ApiError MissingControlPlaneVersion() =>
        new ApiError(400, "missing_control_plane_version", "Missing control-plane version header.")
            .With("supported_version", ControlPlaneVersion)
            .With("requested_version", null)
            .With("remediation", $"Send the {HeaderNames.ControlPlaneVersion}: {ControlPlaneVersion} header on control-plane requests.");

    public static ApiError UnsupportedControlPlaneVersion(string requested) =>
        new ApiError(400, "unsupported_control_plane_version", "Unsupported control-plane version.")
            .With("supported_version", ControlPlaneVersion)
            .With("requested_version", requested)
            .With("remediation", $"Upgrade the client to one that speaks control-plane version {ControlPlaneVersion}, or use a server that supports version {requested}.");

    public static ApiError MissingProtocolVersion(string advertised) =>
        new ApiError(400, "missing_protocol_version", "Missing worker protocol version header.")
            .With("supported_version", advertised)
            .With("requested_version", null)
            .With("remediation", $"Send the {HeaderNames.WorkerProtocolVersion} header with a version from {AcceptedRange(advertised)}.");

    public static ApiError UnsupportedProtocolVersion(string advertised, string requested) =>
        new ApiError(400, "unsupported_protocol_version", "Unsupported worker protocol version.")
            .With("supported_version", advertised)
            .With("requested_version", requested)
            .With("remediation", $"This server accepts worker protocol versions {AcceptedRange(advertised)}; upgrade the server before workers that need a newer minor version.");

    public static ApiError NamespaceNotFound(string name) =>
        new ApiError(404, "namespace_not_found", $"Namespace '{name}' does not exist.")
            .With("namespace", name)
            .With("remediation", "Register the namespace via POST /api/namespaces, or send an X-Namespace header naming an existing namespace.");

    public static ApiError RouteNotFound(string path) =>
        new(404, "not_found", $"The route {path.TrimStart('/')} could not be found.");

    public static ApiError MethodNotAllowed(string method, string path) =>
        new(405, "method_not_allowed", $"The {method} method is not supported for route {path.TrimStart('/')}.");

    private static string AcceptedRange(string advertised) =>
        ProtocolVersion.TryParse(advertised, out var v) ? $"{v.Major}.0 to {v}" : advertised;
}

public static class HeaderNames
{
    public const string ControlPlaneVersion = "X-Durable-Workflow-Control-Plane-Version";
    public const string WorkerProtocolVersion = "X-Durable-Workflow-Protocol-Version";
    public const string Namespace = "X-Namespace";
}
