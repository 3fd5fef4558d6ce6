# Per-transition statement counts against one server node (pg_stat_statements, track=all); run it through
# transition-counts.sh, which starts the node on a scratch database.
import urllib.error, json, subprocess, sys, time, urllib.request, uuid
URL, PGPORT, DB = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 5
TOKEN = "t"
def psql(sql):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", PGPORT, "-U", "postgres", "-d", DB, "-At", "-F", "\t", "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()
def req(path, body, worker=True):
    data = json.dumps(body).encode()
    r = urllib.request.Request(URL + path, data=data, method="POST")
    r.add_header("Content-Type", "application/json"); r.add_header("Accept", "application/json")
    r.add_header("X-Namespace", "default"); r.add_header("Authorization", "Bearer " + TOKEN)
    if worker: r.add_header("X-Durable-Workflow-Protocol-Version", "1.1")
    else: r.add_header("X-Durable-Workflow-Control-Plane-Version", "2")
    try:
        with urllib.request.urlopen(r) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        print(path, e.code, e.read().decode()[:600]); raise
W = "w-" + uuid.uuid4().hex[:8]
FP = "sha256:" + "a" * 64
req("/api/worker/register", {"worker_id": W, "task_queue": "q", "runtime": "python", "sdk_version": "1.0",
    "supported_workflow_types": ["wf"], "supported_activity_types": ["act"], "workflow_definition_fingerprints": {"wf": FP},
    "workflow_command_contracts": {}, "capabilities": [], "max_concurrent_workflow_tasks": 10, "max_concurrent_activity_tasks": 10})
BG = ["query not like '%pg_stat%'", "regexp_replace(query, '\\s+', ' ', 'g') not like 'SELECT id, run_id FROM workflow_tasks WHERE status = $2 AND task_type = $3 AND available_at%'",
      "regexp_replace(query, '\\s+', ' ', 'g') not like 'SELECT min(available_at) FROM workflow_tasks WHERE status = $1 AND task_type = $2%'",
      "regexp_replace(query, '\\s+', ' ', 'g') not like 'SELECT id FROM workflow_runs WHERE closed_at IS NULL AND deadline_at%'"]
FILTER = " and ".join(BG) + " and dbid=(select oid from pg_database where datname=current_database())"
# Per-request statements (pool reset, namespace and registration lookups, poll bookkeeping, queue registry).
PERCONN = "(query like 'DISCARD%' or query like 'SELECT $2 FROM workflow_namespaces%' or query like 'SELECT r.namespace, r.worker_id%' or query like '%workflow_poll_requests%' or query like 'INSERT INTO workflow_task_queues%')"
stats_sql = f"select coalesce(sum(calls),0), coalesce(sum(calls) filter (where query like 'SELECT $2 FROM ONLY%'),0), coalesce(sum(calls) filter (where {PERCONN}),0), coalesce(sum(calls) filter (where query = 'COMMIT'),0) from pg_stat_statements where " + FILTER
def snap():
    return [int(x) for x in psql(stats_sql).split("\t")]
def measure(name, fn, totals):
    psql("select pg_stat_statements_reset()")
    time.sleep(0.05)
    out = fn()
    time.sleep(0.15)  # the pooled connection is reset (DISCARD ALL) after the answer is sent
    s = snap()
    totals.setdefault(name, []).append(tuple(s))  # -2: the two psql counting sessions' own commits
    if "--verbose" in sys.argv:
        print("==", name); print(psql("select calls, left(regexp_replace(query,'\\s+',' ','g'),150) from pg_stat_statements where " + FILTER + " order by calls desc"))
    return out
totals = {}
for i in range(N):
    wid = "wf-" + uuid.uuid4().hex
    measure("start", lambda: req("/api/workflows", {"workflow_type": "wf", "workflow_id": wid, "task_queue": "q"}, worker=False), totals)
    t = measure("wf poll+claim", lambda: req("/api/worker/workflow-tasks/poll", {"worker_id": W, "task_queue": "q", "poll_request_id": "p-" + uuid.uuid4().hex, "timeout_seconds": 5})["task"], totals)
    measure("wf complete (schedule)", lambda: req(f"/api/worker/workflow-tasks/{t['task_id']}/complete", {"lease_owner": W, "workflow_task_attempt": t["workflow_task_attempt"],
        "commands": [{"type": "schedule_activity", "activity_type": "act", "queue": "q"}]}), totals)
    a = measure("act poll+claim", lambda: req("/api/worker/activity-tasks/poll", {"worker_id": W, "task_queue": "q", "poll_request_id": "a-" + uuid.uuid4().hex, "timeout_seconds": 5})["task"], totals)
    measure("act complete", lambda: req(f"/api/worker/activity-tasks/{a['task_id']}/complete", {"activity_attempt_id": a["activity_attempt_id"], "lease_owner": W, "result": None}), totals)
    t = measure("wf poll+claim 2", lambda: req("/api/worker/workflow-tasks/poll", {"worker_id": W, "task_queue": "q", "poll_request_id": "p-" + uuid.uuid4().hex, "timeout_seconds": 5})["task"], totals)
    measure("wf complete (close)", lambda: req(f"/api/worker/workflow-tasks/{t['task_id']}/complete", {"lease_owner": W, "workflow_task_attempt": t["workflow_task_attempt"],
        "commands": [{"type": "complete_workflow"}]}), totals)
    measure("idle 0.05s", lambda: None, totals)
print("transition\tstatements\tof which FK checks\tof which per-request\tengine (excl. FK, per-request)\tCOMMITs")
sums=[0]*5
for k, v in totals.items():
    med = lambda i: sorted(x[i] for x in v)[len(v)//2]
    row=[med(0), med(1), med(2), med(0)-med(1)-med(2), med(3)]
    print(k + "\t" + "\t".join(str(x) for x in row))
    if not k.startswith("idle"): sums=[a+b for a,b in zip(sums,row)]
print("per workflow (medians)\t" + "\t".join(str(x) for x in sums))
