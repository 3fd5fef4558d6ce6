using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Azure.WebJobs.Script.Grpc.Messages;

namespace DurableWorkflow.FunctionsHost;

/// <summary>
/// One function as the worker described it in <c>FunctionMetadataResponse</c>, with its trigger binding parsed from the
/// raw binding JSON the worker sends (the same JSON the SDK writes to <c>functions.metadata</c>).
/// </summary>
public sealed class HostedFunction
{
    private readonly TemplateMatcher? matcher;

    internal HostedFunction(RpcFunctionMetadata metadata, string routePrefix)
    {
        Metadata = metadata;
        Name = metadata.Name;
        FunctionId = string.IsNullOrEmpty(metadata.FunctionId) ? Guid.NewGuid().ToString() : metadata.FunctionId;
        Bindings = [.. metadata.RawBindings.Select(raw => JsonNode.Parse(raw)!.AsObject())];
        Trigger = Bindings.FirstOrDefault(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true)
            ?? throw new InvalidOperationException($"Function {Name} has no trigger binding.");
        TriggerType = (string)Trigger["type"]!;
        TriggerName = (string)Trigger["name"]!;
        if (IsHttp)
        {
            // Like the host: the route defaults to the function name and always sits under the route prefix.
            Route = (string?)Trigger["route"] ?? Name;
            Methods = Trigger["methods"] is JsonArray methods
                ? [.. methods.Select(m => ((string)m!).ToUpperInvariant())]
                : [];
            AuthLevel = (string?)Trigger["authLevel"];
            Template = TemplateParser.Parse(string.IsNullOrEmpty(routePrefix) ? Route : $"{routePrefix}/{Route}");
            matcher = new TemplateMatcher(Template, new RouteValueDictionary());
            Precedence = RoutePrecedence.ComputeInbound(Template);
        }
    }

    public RpcFunctionMetadata Metadata { get; }

    public string Name { get; }

    /// <summary>The id the stand-in loads and invokes the function under.</summary>
    public string FunctionId { get; }

    public IReadOnlyList<JsonObject> Bindings { get; }

    public JsonObject Trigger { get; }

    public string TriggerType { get; }

    /// <summary>The trigger parameter's binding name, which the invocation's input data is keyed by.</summary>
    public string TriggerName { get; }

    public bool IsHttp => string.Equals(TriggerType, "httpTrigger", StringComparison.OrdinalIgnoreCase);

    /// <summary>The route template without the route prefix (HTTP functions only).</summary>
    public string? Route { get; }

    /// <summary>Upper-case methods; empty means every method (HTTP functions only).</summary>
    public IReadOnlyList<string> Methods { get; } = [];

    public string? AuthLevel { get; }

    internal RouteTemplate? Template { get; }

    /// <summary>Lower sorts first: literal segments beat parameters, which beat catch-alls.</summary>
    internal decimal Precedence { get; }

    internal bool TryMatch(string method, string path, out RouteValueDictionary values)
    {
        values = new RouteValueDictionary();
        if (matcher is null)
        {
            return false;
        }

        if (Methods.Count > 0 && !Methods.Contains(method, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        return matcher.TryMatch(path, values);
    }

    public override string ToString() => IsHttp ? $"{Name} [{string.Join(',', Methods)}] {Route}" : $"{Name} ({TriggerType})";
}
