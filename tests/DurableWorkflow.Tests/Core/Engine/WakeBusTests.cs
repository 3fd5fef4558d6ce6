using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DurableWorkflow.Core.Coordination;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DurableWorkflow.Tests.Core.Engine;

public sealed class WakeBusTests
{
    [Fact]
    public async Task A_bus_that_first_subscribed_while_redis_was_down_receives_remote_signals_once_redis_is_back()
    {
        var port = FreePort();
        await using var lateCache = new RedisCoordinationCache($"127.0.0.1:{port},connectRetry=1", NullLogger<RedisCoordinationCache>.Instance);
        await using var lateBus = new WakeBus(lateCache, NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"late-{Guid.NewGuid():N}");

        // First use happens with nothing listening on the port: the subscription attempt fails.
        using (lateBus.Subscribe([channel]))
        {
            var multiplexer = await lateCache.GetConnectionAsync();
            Assert.False(multiplexer.IsConnected);
        }

        using var forwarder = RedisForwarder.Start(port, TestEnvironment.RedisConnection);
        await using var writerCache = new RedisCoordinationCache(TestEnvironment.RedisConnection, NullLogger<RedisCoordinationCache>.Instance);
        await using var writerBus = new WakeBus(writerCache, NullLogger<WakeBus>.Instance);
        var lateMultiplexer = await lateCache.GetConnectionAsync();
        await HttpAssert.EventuallyAsync(() => Task.FromResult((lateMultiplexer.IsConnected, "late node never reconnected to redis")), TimeSpan.FromSeconds(20));

        var seen = false;
        var deadline = Stopwatch.StartNew();
        while (!seen && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            using var waiter = lateBus.Subscribe([channel]);
            writerBus.Publish([channel]);
            seen = await waiter.WaitAsync(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None);
        }

        Assert.True(seen, "a node that first subscribed while redis was down never received remote wake-ups");
    }

    [Fact]
    public async Task a_delayed_publish_signals_its_channel_when_the_delay_has_passed_and_not_before()
    {
        var clock = new FakeTimeProvider();
        await using var bus = new WakeBus(new InProcessCoordinationCache(clock), NullLogger<WakeBus>.Instance, clock);
        var channel = WakeChannels.ActivityTasks("default", $"later-{Guid.NewGuid():N}");
        using var waiter = bus.Subscribe([channel]);

        bus.PublishAfter(channel, TimeSpan.FromSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(2.9));

        Assert.False(await waiter.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "signalled before the task was claimable");

        clock.Advance(TimeSpan.FromSeconds(0.1));

        Assert.True(await waiter.WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None), "never signalled once claimable");
    }

    [Fact]
    public async Task a_delayed_publish_pending_when_the_bus_stops_is_dropped()
    {
        var clock = new FakeTimeProvider();
        var bus = new WakeBus(new InProcessCoordinationCache(clock), NullLogger<WakeBus>.Instance, clock);
        var channel = WakeChannels.WorkflowTasks("default", $"dropped-{Guid.NewGuid():N}");
        using var waiter = bus.Subscribe([channel]);
        bus.PublishAfter(channel, TimeSpan.FromSeconds(1));

        await bus.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.False(await waiter.WaitAsync(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public async Task a_signal_for_one_task_wakes_one_parked_claimant_and_every_watcher()
    {
        await using var bus = new WakeBus(new InProcessCoordinationCache(TimeProvider.System), NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"one-{Guid.NewGuid():N}");
        using var first = bus.Compete(channel);
        using var second = bus.Compete(channel);
        using var watcher = bus.Subscribe([channel]);
        var waits = new[] { first, second }.Select(c => c.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None)).ToList();
        await WaitUntilAsync(() => first.Waiting && second.Waiting);

        bus.Publish([channel]);

        Assert.True(await waits[0], "the longest-waiting claimant was not woken");
        Assert.True(first.ChosenForLastWake);
        Assert.True(await watcher.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "a watcher missed the signal");
        Assert.False(waits[1].IsCompleted, "a second claimant woke for a single task");
        Assert.False(await second.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public async Task a_commit_that_made_two_tasks_claimable_wakes_two_claimants()
    {
        await using var bus = new WakeBus(new InProcessCoordinationCache(TimeProvider.System), NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.ActivityTasks("default", $"two-{Guid.NewGuid():N}");
        var claimants = Enumerable.Range(0, 3).Select(_ => bus.Compete(channel)).ToList();

        bus.Publish([KeyValuePair.Create(channel, 2)]);

        var woken = 0;
        foreach (var claimant in claimants)
        {
            woken += await claimant.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None) ? 1 : 0;
            claimant.Dispose();
        }

        Assert.Equal(2, woken);
    }

    [Fact]
    public async Task a_claimant_asleep_in_its_wait_is_chosen_before_one_that_is_still_probing()
    {
        await using var bus = new WakeBus(new InProcessCoordinationCache(TimeProvider.System), NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"asleep-{Guid.NewGuid():N}");
        using var probing = bus.Compete(channel);
        using var asleep = bus.Compete(channel);
        var wait = asleep.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None);
        await WaitUntilAsync(() => asleep.Waiting);

        bus.Publish([channel]);

        Assert.True(await wait);
        Assert.False(await probing.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "the probing claimant took the wake");
    }

    [Fact]
    public async Task a_claimant_that_leaves_without_acting_on_its_wake_hands_it_to_another()
    {
        await using var bus = new WakeBus(new InProcessCoordinationCache(TimeProvider.System), NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"hand-on-{Guid.NewGuid():N}");
        var leaving = bus.Compete(channel);
        using var staying = bus.Compete(channel);
        bus.Publish([channel]);
        Assert.False(await staying.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));

        leaving.Dispose();

        Assert.True(await staying.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "the wake was lost with the claimant that left");
        Assert.True(staying.ChosenForLastWake);
    }

    [Fact]
    public async Task a_claimant_that_found_nothing_wakes_the_others_and_a_nudge_wakes_them_all()
    {
        await using var bus = new WakeBus(new InProcessCoordinationCache(TimeProvider.System), NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"others-{Guid.NewGuid():N}");
        using var chosen = bus.Compete(channel);
        using var other = bus.Compete(channel);
        using var third = bus.Compete(channel);
        bus.Publish([channel]);
        Assert.True(await chosen.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));

        chosen.WakeOthers();

        Assert.False(await chosen.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "the claimant woke itself");
        Assert.True(await other.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));
        Assert.True(await third.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));
        Assert.False(other.ChosenForLastWake, "a wake of all is nobody's share of a signal");

        bus.Nudge(channel);

        foreach (var claimant in new[] { chosen, other, third })
        {
            Assert.True(await claimant.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "a nudge left a claimant asleep");
        }
    }

    [Fact]
    public async Task a_nodes_own_signal_coming_back_through_redis_wakes_no_second_claimant_there()
    {
        await using var redisA = await ConnectedRedis.CacheAsync();
        await using var redisB = await ConnectedRedis.CacheAsync();
        await using var nodeA = new WakeBus(redisA, NullLogger<WakeBus>.Instance);
        await using var nodeB = new WakeBus(redisB, NullLogger<WakeBus>.Instance);
        var channel = WakeChannels.WorkflowTasks("default", $"echo-{Guid.NewGuid():N}");
        var marker = WakeChannels.WorkflowTasks("default", $"echo-marker-{Guid.NewGuid():N}");
        using var markerOnA = nodeA.Subscribe([marker]);
        using var remote = nodeB.Compete(channel);
        await WaitForLiveSubscriptionAsync(nodeA, nodeB, remote, channel);
        using var first = nodeA.Compete(channel);
        using var second = nodeA.Compete(channel);

        nodeA.Publish([channel]);
        Assert.True(await remote.WaitAsync(TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None), "node B never got node A's signal");

        // Redis delivers in publish order: once node A has B's later message, it has had the echo of its own.
        nodeB.Publish([marker]);
        Assert.True(await markerOnA.WaitAsync(TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None), "node A never got node B's signal");
        Assert.True(await first.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "node A's own claimant missed the local signal");
        Assert.False(await second.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None), "the echo woke a second claimant on node A");
    }

    /// <summary>Pub/sub connects lazily: signals until node B's subscription is live, then drains what it caught.</summary>
    private static async Task WaitForLiveSubscriptionAsync(WakeBus nodeA, WakeBus nodeB, WakeSubscription remote, string channel)
    {
        using var warm = nodeA.Subscribe([$"{channel}:warm"]);
        using var warmOnB = nodeB.Subscribe([$"{channel}:warm"]);
        var seen = false;
        var deadline = Stopwatch.StartNew();
        while (!seen && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            nodeA.Publish([$"{channel}:warm"]);
            seen = await warmOnB.WaitAsync(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None);
        }

        Assert.True(seen, "node B's subscription never went live");
        Assert.False(await remote.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the waits never started");
            await Task.Delay(5);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Stands in for Redis coming back on the address a node was configured with.</summary>
    private sealed class RedisForwarder : IDisposable
    {
        private readonly TcpListener listener;
        private readonly CancellationTokenSource stop = new();
        private readonly string target;

        private RedisForwarder(int port, string target)
        {
            listener = new TcpListener(IPAddress.Loopback, port);
            this.target = target;
        }

        public static RedisForwarder Start(int port, string redisConnection)
        {
            var forwarder = new RedisForwarder(port, redisConnection.Split(',')[0]);
            forwarder.listener.Start();
            _ = forwarder.AcceptLoopAsync();
            return forwarder;
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            stop.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                _ = PumpAsync(client);
            }
        }

        private async Task PumpAsync(TcpClient client)
        {
            using (client)
            using (var upstream = new TcpClient())
            {
                var hostPort = target.Split(':');
                await upstream.ConnectAsync(hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture), stop.Token);
                var down = client.GetStream();
                var up = upstream.GetStream();
                try
                {
                    await Task.WhenAny(down.CopyToAsync(up, stop.Token), up.CopyToAsync(down, stop.Token));
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
                {
                    // One side closed: the connection ends, as it would with a real Redis restart.
                }
            }
        }
    }
}
