namespace DurableWorkflow.Core.Engine;

/// <summary>
/// This node's own wake messages on their way through Redis, which delivers every message to every subscriber, the
/// sender included. The sender already signalled its own waiters when it published, so the echo is dropped; otherwise
/// each new task would wake a second parked poll on its node, one that finds nothing. Kept by channel name, since the
/// message carries nothing else (the format every node version reads). Cleared whenever the connection fails or comes
/// back, because messages in flight then may never echo; a count left by an echo Redis lost otherwise costs one other
/// node's signal on that channel, which the queue's re-probe makes up for.
/// </summary>
internal sealed class OwnWakeEchoes
{
    /// <summary>Bounds the table should echoes go missing without a connection event.</summary>
    private const int MaxChannels = 10_000;

    private readonly Lock gate = new();
    private readonly Dictionary<string, int> pending = new(StringComparer.Ordinal);

    /// <summary>Called before the message is sent, so an echo that arrives before the send returns is recognised.</summary>
    public void Expect(string channel)
    {
        lock (gate)
        {
            if (pending.Count >= MaxChannels)
            {
                pending.Clear();
            }

            pending[channel] = pending.GetValueOrDefault(channel) + 1;
        }
    }

    /// <summary>True when a message on <paramref name="channel"/> is the echo of one this node sent (and counts it off).</summary>
    public bool TryConsume(string channel)
    {
        lock (gate)
        {
            if (!pending.TryGetValue(channel, out var count))
            {
                return false;
            }

            if (count == 1)
            {
                pending.Remove(channel);
            }
            else
            {
                pending[channel] = count - 1;
            }

            return true;
        }
    }

    public void Forget()
    {
        lock (gate)
        {
            pending.Clear();
        }
    }
}
