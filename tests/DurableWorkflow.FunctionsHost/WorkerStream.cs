using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Azure.WebJobs.Script.Grpc.Messages;

namespace DurableWorkflow.FunctionsHost;

/// <summary>
/// The host's end of the single bidirectional <c>EventStream</c> the worker opens. Outbound messages are queued and written
/// by one loop (a gRPC stream writer takes one write at a time); inbound replies complete the waiter registered for their
/// correlation key, and <see cref="RpcLog"/> messages are kept.
/// </summary>
internal sealed class WorkerStream : FunctionRpc.FunctionRpcBase
{
    private readonly Channel<StreamingMessage> outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> waiters = new();
    private readonly TaskCompletionSource<StartStream> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<RpcLog> Logs { get; } = new();

    /// <summary>Completes with the worker's first message, which must be <see cref="StartStream"/>.</summary>
    public Task<StartStream> Started => started.Task;

    /// <summary>Completes when the worker's stream ends.</summary>
    public Task Closed => closed.Task;

    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        var token = context.CancellationToken;
        var writer = WriteLoopAsync(responseStream, token);
        try
        {
            while (await requestStream.MoveNext(token))
            {
                Dispatch(requestStream.Current);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException || (ex is Grpc.Core.RpcException rpc && rpc.StatusCode == StatusCode.Cancelled))
        {
            // The worker went away or the stand-in is stopping; waiters are failed below.
        }
        finally
        {
            outbound.Writer.TryComplete();
            started.TrySetException(new InvalidOperationException("The worker closed its stream before StartStream."));
            foreach (var waiter in waiters.Values)
            {
                waiter.TrySetException(new InvalidOperationException("The worker closed its stream before answering."));
            }

            closed.TrySetResult();
        }

        await writer;
    }

    /// <summary>Registers a waiter for the reply keyed <paramref name="key"/>, then sends <paramref name="message"/>.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage message, string key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!waiters.TryAdd(key, waiter))
        {
            throw new InvalidOperationException($"A request keyed '{key}' is already waiting.");
        }

        try
        {
            Send(message);
            return await waiter.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"The worker did not answer {message.ContentCase} ({key}) within {timeout.TotalSeconds} s.", ex);
        }
        finally
        {
            waiters.TryRemove(key, out _);
        }
    }

    public void Send(StreamingMessage message)
    {
        if (!outbound.Writer.TryWrite(message))
        {
            throw new InvalidOperationException("The worker stream is closed.");
        }
    }

    /// <summary>The key a reply is matched on: the invocation or function it answers, else its message type.</summary>
    public static string ReplyKey(StreamingMessage message) => message.ContentCase switch
    {
        StreamingMessage.ContentOneofCase.InvocationResponse => "invocation:" + message.InvocationResponse.InvocationId,
        StreamingMessage.ContentOneofCase.FunctionLoadResponse => "load:" + message.FunctionLoadResponse.FunctionId,
        _ => message.ContentCase.ToString(),
    };

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.StartStream:
                started.TrySetResult(message.StartStream);
                break;
            case StreamingMessage.ContentOneofCase.RpcLog:
                Logs.Enqueue(message.RpcLog);
                break;
            default:
                if (waiters.TryGetValue(ReplyKey(message), out var waiter))
                {
                    waiter.TrySetResult(message);
                }

                break;
        }
    }

    private async Task WriteLoopAsync(IServerStreamWriter<StreamingMessage> responseStream, CancellationToken token)
    {
        try
        {
            await foreach (var message in outbound.Reader.ReadAllAsync(token))
            {
                await responseStream.WriteAsync(message, token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The call ended while messages were queued; their waiters fail when the read side closes.
        }
    }
}
