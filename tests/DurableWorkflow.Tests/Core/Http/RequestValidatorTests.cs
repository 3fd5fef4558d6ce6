using System.Text.Json;
using DurableWorkflow.Core.Http;

namespace DurableWorkflow.Tests.Core.Http;

public class RequestValidatorTests
{
    [Fact]
    public void collects_every_error_with_laravel_style_messages()
    {
        var body = JsonDocument.Parse("""{"retention_days": 0, "description": 5}""").RootElement;
        var validator = new RequestValidator(body);

        validator.String("name", required: true);
        validator.String("description");
        validator.Integer("retention_days", min: 1, max: 365);
        var error = validator.ToError();

        Assert.Equal(422, error.Status);
        Assert.Equal("validation_failed", error.Reason);
        Assert.Equal("The name field is required. (and 2 more errors)", error.Message);
        Assert.Equal(error.Details["errors"]!.ToJsonString(), error.Details["validation_errors"]!.ToJsonString());
        Assert.Equal("The retention days field must be between 1 and 365.", (string?)error.Details["errors"]!["retention_days"]![0]);
        Assert.Equal("The description field must be a string.", (string?)error.Details["errors"]!["description"]![0]);
    }

    [Fact]
    public void one_error_has_no_suffix()
    {
        var validator = new RequestValidator(null);
        validator.String("name", required: true);

        Assert.Equal("The name field is required.", validator.ToError().Message);
    }

    [Fact]
    public void null_values_count_as_absent()
    {
        var body = JsonDocument.Parse("""{"description": null, "retention_days": null}""").RootElement;
        var validator = new RequestValidator(body);

        Assert.Null(validator.String("description"));
        Assert.Null(validator.Integer("retention_days", min: 1, max: 365));
        Assert.True(validator.IsValid);
    }

    [Fact]
    public void non_integer_numbers_are_rejected()
    {
        var validator = new RequestValidator(JsonDocument.Parse("""{"retention_days": 1.5}""").RootElement);

        validator.Integer("retention_days", min: 1, max: 365);

        Assert.False(validator.IsValid);
    }
}
