namespace DurableWorkflow.Core.Payloads.Storage;

/// <summary>A store refused or failed an operation (unreachable, denied, a reference outside the driver's scope).</summary>
public sealed class PayloadStorageException : Exception
{
    public PayloadStorageException()
    {
    }

    public PayloadStorageException(string message)
        : base(message)
    {
    }

    public PayloadStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
