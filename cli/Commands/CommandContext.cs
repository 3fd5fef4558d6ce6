using System.CommandLine;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary>One invocation of a server command: its parse result, resolved settings, client and output.</summary>
public sealed class CommandContext(string name, ParseResult parse, CliIo io, ConnectionSettings settings, ServerClient client, CancellationToken cancellationToken)
{
    /// <summary>Commands whose server document the official CLI prints as is, without adding <c>namespace</c>.</summary>
    private static readonly HashSet<string> Unenriched = new(StringComparer.Ordinal)
    {
        "server:health", "server:info", "cluster:info", "system:operator-metrics", "workflow:history-export",
    };

    public string Name { get; } = name;

    public ParseResult Parse { get; } = parse;

    public CliIo Io { get; } = io;

    public ConnectionSettings Settings { get; } = settings;

    public ServerClient Client { get; } = client;

    public OutputWriter Output { get; } = new(io, settings.Output);

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public string CliVersion => CompatibilityPreflight.CliVersion(Io.Environment);

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    public string Required(Argument<string> argument)
    {
        var value = Parse.GetValue(argument);
        return string.IsNullOrWhiteSpace(value) ? throw CliException.Invalid($"Argument <{argument.Name}> is required.") : value.Trim();
    }

    public Task<JsonNode?> SendAsync(HttpMethod method, string path, QueryString? query = null, JsonNode? body = null, TimeSpan? timeout = null) =>
        Client.SendAsync(method, path, query, body, timeout, CancellationToken);

    /// <summary>Sends the request and writes the answer in the selected output mode; exit 0.</summary>
    public async Task<int> PrintAsync(HttpMethod method, string path, QueryString? query = null, JsonNode? body = null, Action<IAnsiConsole, JsonNode?>? table = null)
    {
        Write(await SendAsync(method, path, query, body), table);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Writes a server document as the official CLI does (spec §13.4): the resolved namespace is added where the server
    /// omitted it, on the document and on each list item; namespace commands add the namespace's own name instead.
    /// </summary>
    public void Write(JsonNode? document, Action<IAnsiConsole, JsonNode?>? table = null)
    {
        if (!Unenriched.Contains(Name) && document is JsonObject map)
        {
            var namespaceCommand = Name.StartsWith("namespace:", StringComparison.Ordinal);
            AddNamespace(map, namespaceCommand);
            foreach (var item in (OutputWriter.ListOf(map) ?? []).OfType<JsonObject>())
            {
                AddNamespace(item, namespaceCommand);
            }
        }

        Output.Write(document, table);
    }

    private void AddNamespace(JsonObject target, bool fromName)
    {
        if (target.ContainsKey("namespace"))
        {
            return;
        }

        if (!fromName)
        {
            target["namespace"] = Settings.Namespace;
        }
        else if (target["name"] is JsonValue name)
        {
            target["namespace"] = name.ToString();
        }
    }

    /// <summary>A path segment taken from user input, escaped so it can never change the route.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}
