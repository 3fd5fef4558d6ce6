using System.Text.Json.Nodes;

namespace DurableWorkflow.Tests.Fixtures;

/// <summary>The official clients' request/response fixtures in <c>../shared/fixtures</c>.</summary>
public static class SharedFixtures
{
    public static string Root => Path.GetFullPath(Path.Combine(TestEnvironment.RepoRoot, "..", "shared", "fixtures"));

    public static ControlPlaneFixture ControlPlane(string name)
    {
        var path = Path.Combine(Root, "control-plane", $"{name}.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        return new ControlPlaneFixture(json);
    }
}

public sealed record ControlPlaneFixture(JsonObject Json)
{
    public string Method => (string)Json["request"]!["method"]!;

    /// <summary>The request path with the <c>/api</c> prefix the clients add.</summary>
    public string Path => "/api" + (string)Json["request"]!["path"]!;

    public JsonObject? Body => Json["request"]!["body"]?.AsObject();

    public JsonObject Semantic => Json["semantic_body"]!.AsObject();

    public HttpRequestMessage ToRequest() =>
        new(new HttpMethod(Method), Path) { Content = Body is null ? null : ServerFactory.Json(Body.ToJsonString()) };
}
