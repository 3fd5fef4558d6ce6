using System.Text.Json.Nodes;
using DurableWorkflow.Core.Engine;
using DurableWorkflow.Core.Workflows;

namespace DurableWorkflow.Tests.Core.Workflows;

/// <summary>The export checksum form and the list page tokens, without a database.</summary>
public sealed class WorkflowReadIntegrityTests
{
    [Fact]
    public void canonical_json_sorts_keys_recursively_and_keeps_list_order()
    {
        var node = JsonNode.Parse("""{"b":1,"a":{"z":[3,1,{"y":true,"x":null}],"c":"d"}}""");

        Assert.Equal("""{"a":{"c":"d","z":[3,1,{"x":null,"y":true}]},"b":1}""", WorkflowReadIntegrity.CanonicalJson(node));
    }

    [Fact]
    public void canonical_json_writes_empty_objects_as_php_empty_arrays()
    {
        // PHP decodes {} into an empty array, so a PHP verifier re-encodes it as [].
        Assert.Equal("""{"memo":[],"paths":[]}""", WorkflowReadIntegrity.CanonicalJson(JsonNode.Parse("""{"paths":[],"memo":{}}""")));
    }

    [Fact]
    public void canonical_json_escapes_strings_like_php_json_encode_with_unescaped_slashes()
    {
        var node = new JsonObject { ["s"] = "a/b \"q\" \\ é 😀 \n\t\u0001\u007f" };

        Assert.Equal("{\"s\":\"a/b \\\"q\\\" \\\\ \\u00e9 \\ud83d\\ude00 \\n\\t\\u0001\u007f\"}", WorkflowReadIntegrity.CanonicalJson(node));
    }

    [Fact]
    public void checksum_is_lower_case_sha256_hex_of_the_canonical_form()
    {
        // sha256 of the two bytes "[]".
        Assert.Equal("4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", WorkflowReadIntegrity.Checksum(new JsonObject()));
    }

    [Theory]
    [InlineData(null, 0L)]
    [InlineData("", 0L)]
    [InlineData("not base64!", 0L)]
    [InlineData("LTU=", 0L)]
    [InlineData("NTA=", 50L)]
    public void list_tokens_decode_to_an_offset_and_anything_else_is_the_first_page(string? token, long offset)
    {
        Assert.Equal(offset, WorkflowListPageToken.Decode(token));
    }

    [Fact]
    public void list_and_history_tokens_are_base64_decimals()
    {
        Assert.Equal("NTA=", WorkflowListPageToken.Encode(50));
        Assert.Equal("Mg==", HistoryPageToken.Encode(2));
    }
}
