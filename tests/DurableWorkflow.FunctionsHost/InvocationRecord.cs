using Microsoft.Azure.WebJobs.Script.Grpc.Messages;

namespace DurableWorkflow.FunctionsHost;

/// <summary>One finished invocation, as the stand-in saw it.</summary>
public sealed record InvocationRecord(string FunctionName, string InvocationId, InvocationResponse Response)
{
    public bool Succeeded => Response.Result.Status == StatusResult.Types.Status.Success;
}
