namespace DurableWorkflow.Tests.Core.Discovery;

/// <summary>Pins the test-side matcher itself, so a cluster-info test passing through it means something.</summary>
public class CliVersionConstraintTests
{
    [Theory]
    [InlineData("2.0.0-rc.35", ">=0.1,<3.0", true)]
    [InlineData("2.0.0-rc.35", ">=0.1,<1.0", false)]
    [InlineData("2.0.0-rc.35", ">=2.0.0", false)]
    [InlineData("2.0.0-rc.35", "2.x", true)]
    [InlineData("2.0.0-rc.35", "2.0.x", true)]
    [InlineData("2.0.0", ">=2.0.0", true)]
    [InlineData("1.5.0", "<1.0 || >=1.5", true)]
    [InlineData("0.9.0", ">=0.1,<1.0", true)]
    [InlineData("1.0.0", ">=0.1,<1.0", false)]
    [InlineData("1.0.0", "*", true)]
    [InlineData("1.2.3", "=1.2.3", true)]
    [InlineData("1.2.3", "1.2.4", false)]
    public void Matches_follows_the_cli_rules(string version, string constraint, bool expected)
    {
        Assert.Equal(expected, CliVersionConstraint.Matches(version, constraint));
    }

    [Theory]
    [InlineData("2.0.0-rc.35", "3.0", -1)]
    [InlineData("2.0.0-rc.35", "2.0.0", -1)]
    [InlineData("2.0.0-rc.35", "2.0", 1)]
    [InlineData("2.0.0-rc.35", "2.0.0-rc.34", 1)]
    [InlineData("2.0.0-beta.1", "2.0.0-rc.1", -1)]
    [InlineData("1.0.0", "1.0.0", 0)]
    public void PhpVersionCompare_matches_php(string left, string right, int expected)
    {
        Assert.Equal(expected, CliVersionConstraint.PhpVersionCompare(left, right));
    }
}
