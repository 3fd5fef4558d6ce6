using Microsoft.Extensions.Logging;

namespace DurableWorkflow.Core.SearchAttributes;

/// <summary>Search-attribute definition changes (control-plane spec §6), ids 1500–1549.</summary>
public static partial class SearchAttributeLog
{
    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Search attribute {Name} ({Type}) defined in namespace {Namespace}")]
    public static partial void Defined(this ILogger logger, string @namespace, string name, string type);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Search attribute {Name} removed from namespace {Namespace}")]
    public static partial void Removed(this ILogger logger, string @namespace, string name);
}
