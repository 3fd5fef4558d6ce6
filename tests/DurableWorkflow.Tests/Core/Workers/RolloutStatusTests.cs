using DurableWorkflow.Core.Workers;

namespace DurableWorkflow.Tests.Core.Workers;

/// <summary>The §6.4 table, every combination of (active, draining, stale, intent).</summary>
public sealed class RolloutStatusTests
{
    public static TheoryData<int, int, int, bool, string> Combinations() => new()
    {
        { 0, 0, 0, false, "no_workers" },
        { 0, 0, 0, true, "draining" },
        { 0, 0, 1, false, "stale_only" },
        { 0, 0, 1, true, "draining" },
        { 0, 1, 0, false, "draining" },
        { 0, 1, 0, true, "draining" },
        { 0, 1, 1, false, "draining" },
        { 0, 1, 1, true, "draining" },
        { 1, 0, 0, false, "active" },
        { 1, 0, 0, true, "active_with_draining" },
        { 1, 0, 1, false, "active" },
        { 1, 0, 1, true, "active_with_draining" },
        { 1, 1, 0, false, "active_with_draining" },
        { 1, 1, 0, true, "active_with_draining" },
        { 1, 1, 1, false, "active_with_draining" },
        { 1, 1, 1, true, "active_with_draining" },
    };

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Invariant_015_rollout_status_follows_the_table_for_all_16_combinations(int active, int draining, int stale, bool intent, string expected) =>
        Assert.Equal(expected, RolloutStatus.Derive(active, draining, stale, intent));

    [Fact]
    public void Invariant_016_rank_is_twice_the_status_rank_plus_one_when_unversioned()
    {
        Assert.Equal(0, RolloutStatus.Rank("active", unversioned: false));
        Assert.Equal(1, RolloutStatus.Rank("active", unversioned: true));
        Assert.Equal(2, RolloutStatus.Rank("active_with_draining", unversioned: false));
        Assert.Equal(5, RolloutStatus.Rank("draining", unversioned: true));
        Assert.Equal(6, RolloutStatus.Rank("stale_only", unversioned: false));
        Assert.Equal(9, RolloutStatus.Rank("no_workers", unversioned: true));
    }
}
