using System.Net;
using System.Text.RegularExpressions;
using DurableWorkflow.Api.Pipeline;
using DurableWorkflow.Api.Routes;
using DurableWorkflow.Tests.Fixtures;

namespace DurableWorkflow.Tests.Api.Routes;

/// <summary>
/// The route table is what both hosts map: each entry must be unique by name and by method and template, and the
/// standalone server must dispatch every entry to the pipeline rather than to its not-found fallback.
/// </summary>
public sealed partial class RouteCatalogTests(BootstrappedDatabase database) : IClassFixture<BootstrappedDatabase>
{
    [Fact]
    public void names_and_method_template_pairs_are_unique()
    {
        var routes = ApiRoutes.All;

        Assert.Equal(routes.Count, routes.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(routes.Count, routes.Select(r => (r.Method, r.Template)).Distinct().Count());
        Assert.All(routes, r => Assert.Matches("^[A-Z][A-Za-z]+$", r.Name));
        Assert.All(routes, r => Assert.DoesNotMatch("^/|^api/|^admin", r.Template));
    }

    [Fact]
    public void every_route_property_is_listed_once_in_all()
    {
        var declared = typeof(ApiRoutes).GetProperties()
            .Where(p => p.PropertyType == typeof(ApiRoute))
            .Select(p => (ApiRoute)p.GetValue(null)!)
            .ToList();

        Assert.Equal(declared.Count, ApiRoutes.All.Count);
        Assert.All(declared, route => Assert.Contains(route, ApiRoutes.All));
        Assert.All(declared, route => Assert.Equal(route.Name, typeof(ApiRoutes).GetProperties().Single(p => p.GetValue(null) == (object)route).Name));
    }

    [Fact]
    public void only_the_get_probes_also_accept_head()
    {
        var withHead = ApiRoutes.All.Where(r => r.AlsoHead).Select(r => r.Template).Order(StringComparer.Ordinal);

        Assert.Equal([RouteTemplates.Health, RouteTemplates.Liveness, RouteTemplates.Readiness], withHead);
        Assert.All(ApiRoutes.All.Where(r => r.AlsoHead), r => Assert.Equal(["GET", "HEAD"], r.Methods));
        Assert.All(ApiRoutes.All.Where(r => r.AlsoHead), r => Assert.Equal(RoutePolicy.Probe, r.Policy));
    }

    [Fact]
    public async Task every_route_is_reachable_on_the_server_with_each_of_its_methods()
    {
        using var server = ServerFactory.WithRoleTokens(database.ConnectionString);
        using var client = server.CreateClient();

        foreach (var route in ApiRoutes.All)
        {
            var path = Placeholder().Replace(route.Pattern, "x");
            foreach (var method in route.Methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                using var response = await client.SendAsync(request);

                // Without a token a guarded route answers 401 from the pipeline; a probe answers itself. The
                // not-found fallback would answer 404 or 405 instead.
                var expected = route.Policy.Guard.IsPublic ? HttpStatusCode.OK : HttpStatusCode.Unauthorized;
                Assert.True(response.StatusCode == expected, $"{method} {path} ({route.Name}): {(int)response.StatusCode}");
            }
        }
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Placeholder();
}
