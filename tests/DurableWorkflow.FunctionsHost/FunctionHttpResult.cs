using System.Net;
using System.Net.Http.Headers;
using Microsoft.Azure.WebJobs.Script.Grpc.Messages;

namespace DurableWorkflow.FunctionsHost;

/// <summary>
/// One HTTP invocation through the stand-in: which function the route table picked, the worker's HTTP answer (body
/// buffered, still encoded as the worker sent it) and the worker's <see cref="InvocationResponse"/> for the same invocation.
/// </summary>
public sealed record FunctionHttpResult(
    string FunctionName,
    string InvocationId,
    HttpStatusCode Status,
    HttpResponseHeaders Headers,
    HttpContentHeaders ContentHeaders,
    byte[] Body,
    InvocationResponse Invocation)
{
    public bool Succeeded => Invocation.Result.Status == StatusResult.Types.Status.Success;

    public string Text => System.Text.Encoding.UTF8.GetString(Body);

    public override string ToString() => $"{FunctionName} {(int)Status} {Text} (invocation {Invocation.Result.Status})";
}
