using System.Text.Json.Nodes;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Core.SearchAttributes.Visibility;

/// <summary>A query the tokenizer, parser or SQL builder refuses; <see cref="Position"/> is the 0-based offset of the fault.</summary>
public sealed class InvalidVisibilityQueryException : Exception
{
    public InvalidVisibilityQueryException(string message, int position)
        : base(message)
    {
        Position = position;
    }

    public InvalidVisibilityQueryException()
    {
    }

    public InvalidVisibilityQueryException(string message)
        : base(message)
    {
    }

    public InvalidVisibilityQueryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Position { get; }

    /// <summary>422 <c>invalid_query</c> with the position, plus the <c>errors</c> maps clients print for any 422.</summary>
    public ApiError ToApiError()
    {
        var message = $"Invalid query at position {Position}: {Message}";
        return new ApiError(422, "invalid_query", message)
            .With("position", Position)
            .With("errors", new JsonObject { ["query"] = new JsonArray(message) })
            .With("validation_errors", new JsonObject { ["query"] = new JsonArray(message) });
    }
}
