namespace DurableWorkflow.Core.Http;

/// <summary>What a core operation answers: a value with its success status, or an error in the documented envelope.</summary>
public sealed record ApiResult<T>(T? Value, int Status, ApiError? Error)
{
    public static ApiResult<T> Ok(T value, int status = 200) => new(value, status, null);

    public static ApiResult<T> Fail(ApiError error) => new(default, error.Status, error);

    public static implicit operator ApiResult<T>(ApiError error) => Fail(error);
}
