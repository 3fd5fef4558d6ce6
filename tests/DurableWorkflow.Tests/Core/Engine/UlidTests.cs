using System.Collections.Concurrent;
using DurableWorkflow.Core.Engine;

namespace DurableWorkflow.Tests.Core.Engine;

/// <summary>Ids from <see cref="Ulid"/>: their shape, their time order, and no repeat when threads draw random blocks.</summary>
public sealed class UlidTests
{
    [Fact]
    public void an_id_is_26_lower_case_crockford_digits_led_by_its_millisecond()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var id = Ulid.Create(time);

        Assert.Matches("^[0-9a-hjkmnp-tv-z]{26}$", id);
        Assert.Equal(Ulid.Create(time)[..10], id[..10]);
        Assert.NotEqual(Ulid.Create(time)[10..], id[10..]);
    }

    [Fact]
    public void a_later_millisecond_sorts_after_an_earlier_one()
    {
        var earlier = Ulid.Create(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var later = Ulid.Create(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001));

        Assert.True(string.CompareOrdinal(earlier, later) < 0, $"{earlier} should sort before {later}");
    }

    [Fact]
    public void threads_drawing_many_blocks_of_random_bytes_never_repeat_an_id()
    {
        // One millisecond for all, so only the random part can tell the ids apart; 20 000 ids per thread use up
        // about 200 of its blocks.
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var ids = new ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                ids.Add(Ulid.Create(time));
            }
        });

        Assert.Equal(160_000, ids.Distinct(StringComparer.Ordinal).Count());
    }
}
