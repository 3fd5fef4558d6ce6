using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Configuration;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.Namespaces;

/// <summary>The namespaces API (control-plane spec §3): validation, defaults and not-found rules.</summary>
public sealed class NamespaceService(NamespaceRepository repository, ServerSettings settings)
{
    private static readonly string[] StorageDrivers = ["local", "s3", "gcs", "azure"];

    private static readonly (string Key, int MaxLength)[] StorageConfigKeys =
    [
        ("uri", 2048), ("bucket", 255), ("disk", 255), ("prefix", 1024), ("region", 128), ("endpoint", 2048), ("auth_profile", 255),
    ];

    public async Task<NamespaceListResponse> ListAsync(CancellationToken cancellationToken)
    {
        var all = await repository.ListAsync(cancellationToken);
        return new NamespaceListResponse([.. all.Select(NamespaceResponse.Full)]);
    }

    public async Task<ApiResult<NamespaceResponse>> ShowAsync(string name, CancellationToken cancellationToken)
    {
        var key = name.ToLowerInvariant();
        var record = await repository.FindAsync(key, cancellationToken);
        return record is null ? NotFound(key) : ApiResult<NamespaceResponse>.Ok(NamespaceResponse.Full(record));
    }

    public async Task<ApiResult<NamespaceResponse>> CreateAsync(JsonElement? body, CancellationToken cancellationToken)
    {
        var input = new RequestValidator(body);
        var name = input.String("name", required: true, maxLength: NamespaceName.MaxLength, pattern: NamespaceName.Pattern());
        var description = input.String("description", maxLength: 1000);
        var retention = input.Integer("retention_days", min: 1, max: 365);
        if (!input.IsValid)
        {
            return input.ToError();
        }

        var key = name!.ToLowerInvariant();
        var created = await repository.TryCreateAsync(key, description, retention ?? settings.HistoryRetentionDays, cancellationToken);
        if (created is null)
        {
            return new ApiError(409, "namespace_already_exists", "Namespace already exists.").With("namespace", key);
        }

        return ApiResult<NamespaceResponse>.Ok(NamespaceResponse.Full(created) with { UpdatedAt = null }, 201);
    }

    public async Task<ApiResult<NamespaceResponse>> UpdateAsync(string name, JsonElement? body, CancellationToken cancellationToken)
    {
        var key = name.ToLowerInvariant();
        var input = new RequestValidator(body);
        var description = input.String("description", maxLength: 1000);
        var retention = input.Integer("retention_days", min: 1, max: 365);
        if (!input.IsValid)
        {
            return input.ToError();
        }

        var updated = await repository.UpdateAsync(key, description, retention, cancellationToken);
        return updated is null ? NotFound(key) : ApiResult<NamespaceResponse>.Ok(NamespaceResponse.Full(updated) with { CreatedAt = null });
    }

    public async Task<ApiResult<NamespaceResponse>> SetExternalStorageAsync(string name, JsonElement? body, CancellationToken cancellationToken)
    {
        var key = name.ToLowerInvariant();
        var input = new RequestValidator(body);
        var driver = input.OneOf("driver", StorageDrivers, required: true);
        var enabled = input.Boolean("enabled") ?? true;
        var threshold = input.Integer("threshold_bytes", min: 1, max: int.MaxValue);
        var config = input.Object("config");
        var storedConfig = new JsonObject();
        if (config is { } configObject)
        {
            foreach (var (field, maxLength) in StorageConfigKeys)
            {
                if (!configObject.TryGetProperty(field, out var raw) || raw.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (raw.ValueKind != JsonValueKind.String)
                {
                    input.AddError($"config.{field}", $"The config.{field} field must be a string.");
                }
                else if (raw.GetString() is { Length: > 0 } value)
                {
                    if (value.Length > maxLength)
                    {
                        input.AddError($"config.{field}", $"The config.{field} field must not be greater than {maxLength} characters.");
                    }
                    else
                    {
                        storedConfig[field] = value;
                    }
                }
            }
        }

        if (!input.IsValid)
        {
            return input.ToError();
        }

        var policy = new JsonObject { ["driver"] = driver, ["enabled"] = enabled };
        if (threshold is { } bytes)
        {
            policy["threshold_bytes"] = bytes;
        }

        if (storedConfig.Count > 0)
        {
            policy["config"] = storedConfig;
        }

        var updated = await repository.SetExternalStorageAsync(key, policy.ToJsonString(), cancellationToken);
        return updated is null ? NotFound(key) : ApiResult<NamespaceResponse>.Ok(NamespaceResponse.Full(updated));
    }

    private static ApiError NotFound(string name) =>
        new ApiError(404, "namespace_not_found", $"Namespace [{name}] not found.").With("namespace", name);
}
