using System.Text;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class PayloadGateTests
{
    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("APPLICATION/JSON", true)]
    [InlineData("application/vnd.dw+json", true)]
    [InlineData("text/plain", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData(null, false)]
    public void only_json_media_types_are_accepted(string? contentType, bool accepted) =>
        Assert.Equal(accepted, PayloadGate.IsJsonMediaType(contentType));

    [Fact]
    public void an_empty_post_body_is_accepted_as_no_body()
    {
        var check = PayloadGate.CheckBody("POST", null, ReadOnlyMemory<byte>.Empty, 1024);

        Assert.Null(check.Error);
        Assert.Null(check.Body);
    }

    [Fact]
    public void get_bodies_are_not_inspected()
    {
        var check = PayloadGate.CheckBody("GET", "text/plain", Encoding.UTF8.GetBytes("not json"), 1024);

        Assert.Null(check.Error);
    }

    [Fact]
    public void oversized_bodies_are_refused_before_media_type()
    {
        var check = PayloadGate.CheckBody("POST", "text/plain", new byte[1025], 1024);

        Assert.Equal("payload_too_large", check.Error?.Reason);
        Assert.Equal(1024, (int)check.Error!.Details["limit"]!);
    }

    [Fact]
    public void malformed_json_reports_the_parser_message()
    {
        var check = PayloadGate.CheckBody("PUT", "application/json", Encoding.UTF8.GetBytes("{\"a\":"), 1024);

        Assert.Equal("malformed_json", check.Error?.Reason);
        Assert.Equal(400, check.Error!.Status);
        Assert.False(string.IsNullOrEmpty((string?)check.Error.Details["json_error"]));
    }

    [Fact]
    public void declared_length_over_the_limit_is_refused_without_reading()
    {
        Assert.Equal("payload_too_large", PayloadGate.CheckDeclaredLength(1025, 1024)?.Reason);
        Assert.Null(PayloadGate.CheckDeclaredLength(1024, 1024));
        Assert.Null(PayloadGate.CheckDeclaredLength(null, 1024));
    }
}
