using System.Text.Json;
using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;
using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.SearchAttributes;

/// <summary>
/// The search-attribute API (control-plane spec §6): definitions per namespace with the documented check order
/// (validation → reserved → exists → limit), and the type check of attribute values against those definitions.
/// </summary>
public sealed class SearchAttributeService(SearchAttributeStore store, ILogger<SearchAttributeService> logger)
{
    private static readonly IReadOnlyDictionary<string, string> SystemMap =
        SearchAttributeTypes.System.ToDictionary(StringComparer.Ordinal);

    public async Task<SearchAttributeListResponse> ListAsync(string ns, CancellationToken cancellationToken)
    {
        var custom = await store.ListAsync(ns, cancellationToken);
        return new SearchAttributeListResponse(SystemMap, custom.ToDictionary(StringComparer.Ordinal));
    }

    public async Task<ApiResult<SearchAttributeCreatedResponse>> CreateAsync(string ns, JsonElement? body, CancellationToken cancellationToken)
    {
        var input = new RequestValidator(body);
        var name = input.String("name", required: true, maxLength: SearchAttributeTypes.MaxNameLength, pattern: SearchAttributeTypes.NamePattern());
        var type = input.OneOf("type", SearchAttributeTypes.Custom, required: true);
        if (!input.IsValid)
        {
            return input.ToError();
        }

        if (SearchAttributeTypes.IsSystem(name!))
        {
            return new ApiError(409, "name_reserved", $"The name [{name}] is reserved as a system search attribute.");
        }

        var outcome = await store.CreateAsync(ns, name!, type!, SearchAttributeTypes.MaxCustomPerNamespace, cancellationToken);
        if (outcome.ExistingType is { } existing)
        {
            return new ApiError(409, "attribute_already_exists", $"A custom search attribute [{name}] already exists in namespace [{ns}].")
                .With("name", name)
                .With("type", existing);
        }

        if (outcome.LimitReached)
        {
            return new ApiError(422, "search_attribute_limit_reached",
                    $"Namespace [{ns}] has reached the maximum of {SearchAttributeTypes.MaxCustomPerNamespace} custom search attributes.")
                .With("limit", SearchAttributeTypes.MaxCustomPerNamespace);
        }

        logger.Defined(ns, name!, type!);
        return ApiResult<SearchAttributeCreatedResponse>.Ok(new SearchAttributeCreatedResponse(name!, type!, "created"), 201);
    }

    public async Task<ApiResult<SearchAttributeDeletedResponse>> DeleteAsync(string ns, string name, CancellationToken cancellationToken)
    {
        if (SearchAttributeTypes.IsSystem(name))
        {
            return new ApiError(409, "system_attribute", $"The system search attribute [{name}] cannot be removed.");
        }

        // A name no definition can have is simply not found; it never reaches the database.
        var definable = name.Length <= SearchAttributeTypes.MaxNameLength && SearchAttributeTypes.NamePattern().IsMatch(name);
        if (!definable || !await store.DeleteAsync(ns, name, cancellationToken))
        {
            return new ApiError(404, "attribute_not_found", $"Custom search attribute [{name}] not found in namespace [{ns}].");
        }

        logger.Removed(ns, name);
        return ApiResult<SearchAttributeDeletedResponse>.Ok(new SearchAttributeDeletedResponse(name, "deleted"));
    }

    /// <summary>
    /// One message per attribute whose value does not have its defined type (null values are deletions and always
    /// pass). Attributes without a definition are accepted as the spec's start rules allow; they are not filterable.
    /// </summary>
    public async Task<IReadOnlyList<string>> TypeMismatchesAsync(string ns, JsonObject attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Count == 0)
        {
            return [];
        }

        var types = await store.TypesAsync(ns, [.. attributes.Select(a => a.Key)], cancellationToken);
        return Mismatches(attributes, types);
    }

    /// <summary>The mismatch messages for already loaded definitions.</summary>
    public static IReadOnlyList<string> Mismatches(JsonObject attributes, IReadOnlyDictionary<string, string> types)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(types);
        var problems = new List<string>();
        foreach (var (name, value) in attributes)
        {
            if (value is null || !types.TryGetValue(name, out var type))
            {
                continue;
            }

            if (SearchAttributeValue.IsOversized(value))
            {
                problems.Add($"The search attribute [{name}] value must not be greater than {SearchAttributeValue.MaxValueBytes} bytes.");
            }
            else if (SearchAttributeValue.From(type, value) is null)
            {
                problems.Add($"The search attribute [{name}] must be of type {type}.");
            }
        }

        return problems;
    }
}
