using System.CommandLine;
using System.Text.Json.Nodes;
using DurableWorkflow.Cli.Rollout;
using Spectre.Console;

namespace DurableWorkflow.Cli.Commands;

/// <summary><c>rollout:verify</c> and <c>rollout:preflight</c>: the rolling-upgrade checks as commands (beyond the official CLI).</summary>
public static class RolloutCommands
{
    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return Verify(io);
        yield return Preflight(io);
    }

    private static Option<string[]> Nodes() => new("--node") { Description = "An API node's base URL (repeatable; default: --server)" };

    private static List<Uri> ReadNodes(CommandContext c, Option<string[]> option)
    {
        var nodes = new List<Uri>();
        foreach (var text in c.Get(option) ?? [])
        {
            if (!Uri.TryCreate(text.Trim().TrimEnd('/'), UriKind.Absolute, out var node) || (node.Scheme != Uri.UriSchemeHttp && node.Scheme != Uri.UriSchemeHttps))
            {
                throw CliException.Invalid($"Invalid --node '{text}': expected an http:// or https:// URL.");
            }

            nodes.Add(node);
        }

        return nodes.Count == 0 ? [c.Settings.Server] : nodes;
    }

    private static Command Verify(CliIo io)
    {
        var nodes = Nodes();
        var expect = new Option<string?>("--expect-build") { Description = "Every node must advertise this server_build_id" };
        var baseline = new Option<long?>("--baseline-repair-needed") { Description = "runs.repair_needed allowed (default 0)" };
        var queues = new Option<string[]>("--task-queue") { Description = "Also check drains on this queue (repeatable; live queues are always checked)" };
        return ServerCommand.Create(io, "rollout:verify", "Answer the rolling-upgrade verification questions, one row each (exit 1 when any fails)", async c =>
        {
            var verifier = new RolloutVerifier(c.Settings, ReadNodes(c, nodes), c.Get(expect), c.Get(baseline) ?? 0, c.Get(queues) ?? []);
            var rows = await verifier.RunAsync(c.CancellationToken);
            var passed = rows.All(r => r.Passed);
            c.Output.Write(new JsonObject { ["passed"] = passed, ["rows"] = new JsonArray([.. rows.Select(r => (JsonNode)r.ToJson())]) }, (console, _) =>
            {
                var table = new Table().AddColumn("Check").AddColumn("Node").AddColumn("Evidence").AddColumn("Result");
                foreach (var row in rows)
                {
                    table.AddRow(Markup.Escape(row.Question), Markup.Escape(row.Node ?? "(cluster)"), Markup.Escape(row.Evidence), row.Passed ? "[green]PASS[/]" : "[red]FAIL[/]");
                }

                console.Write(table);
                console.WriteLine(passed ? "All checks passed." : $"{rows.Count(r => !r.Passed)} check(s) failed.");
            });
            return passed ? ExitCodes.Success : ExitCodes.Failure;
        }, Commands.Preflight.None, nodes, expect, baseline, queues);
    }

    private static Command Preflight(CliIo io)
    {
        var nodes = Nodes();
        var build = new Option<string>("--build-id") { Description = "The build being rolled out", Required = true };
        var drain = new Option<string?>("--drain") { Description = "The build whose drain is planned" };
        var queues = new Option<string[]>("--task-queue") { Description = "Only check runs on this queue (repeatable)" };
        var maxRuns = new Option<int?>("--max-runs") { Description = "Check at most this many open runs (default 5000)" };
        return ServerCommand.Create(io, "rollout:preflight", "Refuse (exit 8) a rollout whose protocol ranges do not overlap or whose drain would strand open runs", async c =>
        {
            var newBuild = c.Get(build)!.Trim();
            var old = c.Get(drain)?.Trim();
            if (newBuild.Length == 0 || old?.Length == 0)
            {
                throw CliException.Invalid("--build-id and --drain must not be empty.");
            }

            if (old == newBuild)
            {
                throw CliException.Invalid("--drain names the build being rolled out; drain the old build instead.");
            }

            var preflight = new RolloutPreflight(c.Settings, ReadNodes(c, nodes), newBuild, old, c.Get(queues) ?? [], c.Get(maxRuns) ?? 5000, TimeProvider.System);
            var findings = await preflight.RunAsync(c.CancellationToken);
            var document = new JsonObject
            {
                ["safe"] = findings.Count == 0,
                ["build_id"] = newBuild,
                ["drain"] = old,
                ["checked"] = new JsonArray([.. preflight.Checked.Select(t => (JsonNode)JsonValue.Create(t))]),
                ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)f.ToJson())]),
            };
            if (findings.Count > 0)
            {
                if (c.Output.Mode == OutputMode.Table)
                {
                    Render(c.Output.Console, preflight.Checked, findings);
                }

                throw new CliException(ExitCodes.Compatibility, $"Rollout preflight refused: {findings.Count} finding(s) ({string.Join(", ", findings.Select(f => f.Kind).Distinct())}).",
                    "rollout_preflight_refused", details: new JsonObject { ["preflight"] = document });
            }

            c.Output.Write(document, (console, _) =>
            {
                Render(console, preflight.Checked, findings);
                console.WriteLine("Preflight passed: safe to proceed.");
            });
            return ExitCodes.Success;
        }, Commands.Preflight.None, nodes, build, drain, queues, maxRuns);
    }

    private static void Render(IAnsiConsole console, IEnumerable<string> checkedItems, IReadOnlyList<PreflightFinding> findings)
    {
        foreach (var item in checkedItems)
        {
            console.WriteLine($"checked: {item}");
        }

        if (findings.Count == 0)
        {
            return;
        }

        var table = new Table().AddColumn("Finding").AddColumn("Subject").AddColumn("Detail");
        foreach (var finding in findings)
        {
            table.AddRow(Markup.Escape(finding.Kind), Markup.Escape(JsonOutput.Line(finding.Subject)), Markup.Escape(finding.Detail));
        }

        console.Write(table);
    }
}
