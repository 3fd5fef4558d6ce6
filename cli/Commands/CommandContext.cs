using System.CommandLine;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Http;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary>One invocation of a server command: its parse result, resolved settings, client and output.</summary>
public sealed class CommandContext(ParseResult parse, CliIo io, ConnectionSettings settings, ServerClient client, CancellationToken cancellationToken)
{
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
        var document = await SendAsync(method, path, query, body);
        Output.Write(document, table);
        return ExitCodes.Success;
    }

    /// <summary>A path segment taken from user input, escaped so it can never change the route.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}
