using System.IO.Compression;
using System.Runtime.Versioning;
using System.Text;

namespace DurableWorkflow.Tests.Infra;

/// <summary>
/// A temporary folder whose bin/ goes first on PATH with stub az, curl, dotnet and zip scripts. Each stub appends
/// its argv to calls.log and answers from a tiny model of the two slots kept in state/ (build id per slot, swap
/// preview flag), so the rollout script can be driven through success and failure paths in well under a second.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class StubSandbox : IDisposable
{
    public const string StagingHost = "func-wf-test-staging.example";
    public const string ProductionHost = "func-wf-test.example";
    public const string OperatorToken = "stub-operator-token";
    public const string OldBuild = "old-build-1";
    public const string OlderBuild = "older-build-0";
    public const string WorkerAssembly = "DurableWorkflow.Functions.dll";
    public const string MetadataLoader = "Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll";

    private const string WorkerConfig = """
        {"description":{"language":"dotnet-isolated","extensions":[".dll"],"defaultExecutablePath":"dotnet","defaultWorkerPath":"DurableWorkflow.Functions.dll","workerIndexing":"true","canUsePlaceholder":true}}
        """;

    private const string FunctionsMetadata = """
        [{"name":"SchedulerTick","scriptFile":"DurableWorkflow.Functions.dll","language":"dotnet-isolated","bindings":[{"name":"timer","direction":"In","type":"timerTrigger","schedule":"%SCHEDULER_CRON%","runOnStartup":false,"useMonitor":true}]},
         {"name":"Readiness","scriptFile":"DurableWorkflow.Functions.dll","language":"dotnet-isolated","bindings":[{"name":"request","direction":"In","type":"httpTrigger","authLevel":"Anonymous","methods":["get","head"],"route":"ready"},{"name":"$return","direction":"Out","type":"http"}]}]
        """;

    private const string ExtensionsJson = """
        {"extensions":[{"name":"Startup","typeName":"Stub.Startup, Stub","hintPath":"./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll"}]}
        """;

    private static readonly UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public StubSandbox()
    {
        Root = Directory.CreateTempSubdirectory("dw-infra-stub-").FullName;
        Bin = Directory.CreateDirectory(Path.Combine(Root, "bin")).FullName;
        State = Directory.CreateDirectory(Path.Combine(Root, "state")).FullName;
        LogPath = Path.Combine(Root, "calls.log");
        FixtureZip = Path.Combine(Root, "fixture.zip");
        File.WriteAllText(LogPath, string.Empty);
        File.WriteAllText(Path.Combine(State, "production.build"), OldBuild);
        File.WriteAllText(Path.Combine(State, "staging.build"), OlderBuild);
        WriteStub("az", AzStub);
        WriteStub("curl", CurlStub);
        WriteStub("dotnet", DotnetStub);
        WriteStub("zip", ZipStub);
        WriteFixtureZip(FixtureZip);
        PublishFixture = Directory.CreateDirectory(Path.Combine(Root, "publish-fixture")).FullName;
        foreach (var (name, content) in PackageLayout())
        {
            var path = Path.Combine(PublishFixture, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
    }

    public string Root { get; }

    public string Bin { get; }

    public string State { get; }

    public string LogPath { get; }

    public string FixtureZip { get; }

    /// <summary>The <see cref="PackageLayout"/> as a folder: what the stub <c>dotnet publish</c> copies out.</summary>
    public string PublishFixture { get; }

    /// <summary>Scenario switches read by the stubs (STUB_*), and overrides of the script settings.</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Calls() => File.ReadAllLines(LogPath);

    public string SlotBuild(string slot) => File.ReadAllText(Path.Combine(State, slot + ".build")).Trim();

    public Task<ProcessResult> RunScriptAsync(string relativeScript, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["PATH"] = Bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
            ["TMPDIR"] = Root,
            ["STUB_LOG"] = LogPath,
            ["STUB_STATE"] = State,
            ["STUB_REPO"] = InfraPaths.RepositoryRoot,
            ["STUB_ZIP_FIXTURE"] = FixtureZip,
            ["STUB_PUBLISH_FIXTURE"] = PublishFixture,
            ["STUB_STAGING_HOST"] = StagingHost,
            ["STUB_TOKEN"] = OperatorToken,
            ["AZURE_RESOURCE_GROUP"] = "rg-test",
            ["FUNCTION_APP_NAME"] = "func-wf-test",
            ["FUNCTION_APP_HOST"] = ProductionHost,
            ["FUNCTION_APP_STAGING_HOST"] = StagingHost,
            ["AZURE_KEY_VAULT_NAME"] = "kv-wf-test",
            ["DW_ROLLOUT_PACKAGE_DIR"] = Path.Combine(Root, "dist"),
            ["DW_ROLLOUT_POLL_SECONDS"] = "0.05",
            ["DW_ROLLOUT_READY_TIMEOUT_SECONDS"] = "1",
            ["DW_ROLLOUT_VERIFY_SAMPLES"] = "2",
            ["DW_ROLLOUT_HTTP_TIMEOUT_SECONDS"] = "5",
        };
        foreach (var (name, value) in Environment)
        {
            environment[name] = value;
        }

        return ProcessRunner.RunAsync(
            "bash",
            [InfraPaths.InRepo(relativeScript), .. arguments],
            TimeSpan.FromSeconds(60),
            InfraTest.Token,
            workingDirectory: Root,
            environment: environment,
            removeInheritedVariable: name =>
                name.StartsWith("DW_", StringComparison.Ordinal) ||
                name.StartsWith("AZURE_", StringComparison.Ordinal) ||
                name.StartsWith("FUNCTION_APP_", StringComparison.Ordinal) ||
                name.StartsWith("STUB_", StringComparison.Ordinal));
    }

    /// <summary>A package root as the worker SDK publishes it, shrunk to the files the layout check reads.</summary>
    public static IReadOnlyDictionary<string, string> PackageLayout() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["host.json"] = File.ReadAllText(InfraPaths.InRepo("host.json")),
        ["worker.config.json"] = WorkerConfig,
        ["functions.metadata"] = FunctionsMetadata,
        ["extensions.json"] = ExtensionsJson,
        [".azurefunctions/" + MetadataLoader] = "MZ stub",
        [WorkerAssembly] = "MZ stub",
    };

    /// <summary>Writes <see cref="PackageLayout"/> into a zip; <paramref name="change"/> edits the layout first.</summary>
    public static void WriteFixtureZip(string path, Action<Dictionary<string, string>>? change = null)
    {
        var layout = new Dictionary<string, string>(PackageLayout(), StringComparer.Ordinal);
        change?.Invoke(layout);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in layout)
        {
            var entry = archive.CreateEntry(name);
            entry.ExternalAttributes = Convert.ToInt32("100644", 8) << 16;
            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private void WriteStub(string name, string body)
    {
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, body.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, Executable);
    }

    private const string AzStub = """
        #!/usr/bin/env bash
        # stub az: logs argv, then plays a two-slot Function App (state/<slot>.build, state/previewed).
        printf 'az %s\n' "$*" >> "$STUB_LOG"
        args=" $* "
        if [ -n "${STUB_AZ_FAIL:-}" ] && [[ "$args" == *"$STUB_AZ_FAIL"* ]]; then
          echo "stub az: scripted failure for '$STUB_AZ_FAIL'" >&2
          exit 1
        fi
        case "$args" in
          *" account show "*) printf 'stub-subscription\n00000000-0000-0000-0000-000000000000\n' ;;
          *" keyvault secret show "*"dw-db-connection"*) echo "Host=db.stub.invalid;Database=workflow;Username=wfadmin;Password=stub" ;;
          *" keyvault secret show "*"dw-operator-token"*) echo "$STUB_TOKEN" ;;
          *" functionapp show "*"--slot staging"*) echo "$STUB_STAGING_HOST" ;;
          *" functionapp show "*) echo "stub-production.example" ;;
          *" appsettings set "*"--slot staging"*)
            for a in "$@"; do
              case "$a" in DW_SERVER_BUILD_ID=*) printf '%s' "${a#DW_SERVER_BUILD_ID=}" > "$STUB_STATE/staging.build" ;; esac
            done ;;
          *" config-zip "*) [[ "$args" == *" --slot staging "* ]] || { echo "stub az: zip deploy must target staging" >&2; exit 3; } ;;
          *" --action preview "*) touch "$STUB_STATE/previewed" ;;
          *" --action reset "*) rm -f "$STUB_STATE/previewed" ;;
          *" --action swap "*)
            mv "$STUB_STATE/staging.build" "$STUB_STATE/tmp.build"
            mv "$STUB_STATE/production.build" "$STUB_STATE/staging.build"
            mv "$STUB_STATE/tmp.build" "$STUB_STATE/production.build"
            rm -f "$STUB_STATE/previewed"
            touch "$STUB_STATE/swapped" ;;
        esac
        exit 0
        """;

    private const string CurlStub = """
        #!/usr/bin/env bash
        # stub curl: logs argv, writes the body to -o, prints the status for -w '%{http_code}'.
        printf 'curl %s\n' "$*" >> "$STUB_LOG"
        out=/dev/null; url=""; header=""
        while [ $# -gt 0 ]; do
          case "$1" in
            -o) out="$2"; shift 2 ;;
            -H) header="$2"; shift 2 ;;
            -w|--max-time) shift 2 ;;
            -*) shift ;;
            *) url="$1"; shift ;;
          esac
        done
        rest="${url#*://}"; host="${rest%%/*}"; path="/${rest#*/}"
        if [ "$host" = "$STUB_STAGING_HOST" ]; then
          slot=staging
          if [ -f "$STUB_STATE/previewed" ]; then code="${STUB_PREVIEW_READY:-200}"; build="${STUB_PREVIEW_BUILD:-}"
          else code="${STUB_STAGING_READY:-200}"; build=""; fi
        else
          slot=production
          if [ -f "$STUB_STATE/swapped" ]; then code="${STUB_PROD_READY_AFTER_SWAP:-200}"; else code="${STUB_PROD_READY:-200}"; fi
          build=""
        fi
        [ -n "$build" ] || build="$(cat "$STUB_STATE/$slot.build")"
        case "$path" in
          /api/ready)
            if [ "$code" = "200" ]; then echo '{"status":"ready"}' > "$out"; else echo '{"status":"not_ready"}' > "$out"; fi
            printf '%s' "$code" ;;
          /api/cluster/info)
            if [ "${header#@}" = "$header" ] || ! grep -qx "Authorization: Bearer $STUB_TOKEN" "${header#@}"; then
              echo '{"error":"unauthorized"}' > "$out"; printf '401'; exit 0
            fi
            printf '{\n  "server_build_id": "%s",\n  "version": "%s"\n}\n' "$build" "$build" > "$out"
            printf '200' ;;
          *) printf '404' ;;
        esac
        exit 0
        """;

    private const string DotnetStub = """
        #!/usr/bin/env bash
        # stub dotnet: publish lays out the fixture package root; run --project dbup is the bootstrap.
        printf 'dotnet %s\n' "$*" >> "$STUB_LOG"
        args=" $* "
        case "$args" in
          *" publish "*)
            out=""
            while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; *) shift ;; esac; done
            # the package layout comes from the fixture folder; STUB_PUBLISH_DROP removes one file, STUB_PUBLISH_ADD adds one
            mkdir -p "$out"
            cp -R "$STUB_PUBLISH_FIXTURE/." "$out"
            [ -z "${STUB_PUBLISH_DROP:-}" ] || rm -f "$out/$STUB_PUBLISH_DROP"
            if [ -n "${STUB_PUBLISH_ADD:-}" ]; then mkdir -p "$(dirname "$out/$STUB_PUBLISH_ADD")"; echo '{}' > "$out/$STUB_PUBLISH_ADD"; fi
            echo "stub publish -> $out" ;;
          *" run "*"--status"*) echo "stub dbup: 0 scripts pending" ;;
          *" run "*)
            printf 'bootstrap-env DW_DB_CONNECTION=%s\n' "${DW_DB_CONNECTION:-<unset>}" >> "$STUB_LOG"
            echo "stub dbup: upgrade"
            exit "${STUB_BOOTSTRAP_EXIT:-0}" ;;
        esac
        exit 0
        """;

    private const string ZipStub = """
        #!/usr/bin/env bash
        # stub zip: logs argv and drops the prepared zip (STUB_ZIP_OUTPUT, else the fixture) where the .zip argument points.
        printf 'zip %s\n' "$*" >> "$STUB_LOG"
        for a in "$@"; do
          case "$a" in *.zip) cp "${STUB_ZIP_OUTPUT:-$STUB_ZIP_FIXTURE}" "$a" ;; esac
        done
        exit 0
        """;
}
