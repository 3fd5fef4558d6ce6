using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class ResponseCodingTests
{
    [Theory]
    [InlineData("gzip, deflate", "gzip")]
    [InlineData("deflate", "deflate")]
    [InlineData("gzip;q=0.5, deflate;q=0.8", "deflate")]
    [InlineData("gzip;q=0.8, deflate;q=0.8", "gzip")]
    [InlineData("gzip;q=0, deflate;q=0", null)]
    [InlineData("gzip;q=abc", null)]
    [InlineData("*", "gzip")]
    [InlineData("gzip;q=0, *", "deflate")]
    [InlineData("br", null)]
    [InlineData("identity", null)]
    [InlineData(null, null)]
    [InlineData("GZIP;Q=2", "gzip")]
    public void chooses_gzip_or_raw_deflate_by_q_value(string? header, string? expected) =>
        Assert.Equal(expected, ResponseCoding.Choose(header));
}
