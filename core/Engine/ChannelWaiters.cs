namespace DurableWorkflow.Core.Engine;

/// <summary>
/// The waiters of one wake channel on this node, in the order they subscribed. Closed once its last waiter leaves, so
/// the bus can drop it; a closed set takes no new waiter.
/// </summary>
internal sealed class ChannelWaiters
{
    private readonly Lock gate = new();
    private readonly List<WakeSubscription> members = [];
    private bool closed;

    public bool TryAdd(WakeSubscription subscription)
    {
        lock (gate)
        {
            if (closed)
            {
                return false;
            }

            members.Add(subscription);
            return true;
        }
    }

    /// <summary>Removes a waiter; true when that left the set empty, which closes it.</summary>
    public bool Remove(WakeSubscription subscription)
    {
        lock (gate)
        {
            members.Remove(subscription);
            closed = members.Count == 0;
            return closed;
        }
    }

    /// <summary>
    /// A signal announcing <paramref name="tasks"/> claimable tasks: every watcher wakes, and up to that many claimants
    /// that have no wake pending, those asleep in their wait first (a probing one acts on it only after its probe), the
    /// longest-waiting first. Claimants that all have a wake pending are about to probe anyway.
    /// </summary>
    public void Signal(int tasks)
    {
        lock (gate)
        {
            foreach (var member in members)
            {
                if (!member.Competing)
                {
                    member.Signal();
                }
            }

            var left = tasks;
            for (var pass = 0; pass < 2 && left > 0; pass++)
            {
                foreach (var member in members)
                {
                    if (left == 0)
                    {
                        break;
                    }

                    if (member.Competing && (pass == 1 || member.Waiting) && member.TryChoose())
                    {
                        left--;
                    }
                }
            }
        }
    }

    public void SignalAll()
    {
        lock (gate)
        {
            foreach (var member in members)
            {
                member.Signal();
            }
        }
    }

    public void SignalClaimants(WakeSubscription except)
    {
        lock (gate)
        {
            foreach (var member in members)
            {
                if (member.Competing && !ReferenceEquals(member, except))
                {
                    member.Signal();
                }
            }
        }
    }
}
