using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class NamespaceSelectorTests
{
    [Theory]
    [InlineData("Billing", true, "other", "billing")]
    [InlineData(null, false, "Other", "other")]
    [InlineData(null, false, null, "default")]
    [InlineData("", true, "other", "")]
    public void header_then_query_then_default(string? header, bool present, string? query, string expected) =>
        Assert.Equal(expected, NamespaceSelector.Select(header, present, query, "default"));
}
