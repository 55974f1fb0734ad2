#!/usr/bin/env bash
# Where the time goes. Run after Benchmarks/run.sh (it uses that script's repository).
#
#   bash Benchmarks/phases.sh                       # binary from .build-release/
#   CODEX_STATE_BIN=path/to/codex-state bash Benchmarks/phases.sh
#   WAIT_FOR_QUIET=600 bash Benchmarks/phases.sh   # wait up to 10 min for idle CPUs first
#
# 1. Differential timings (hyperfine medians): the process floor, `--help` (startup: loading
#    37 shared libraries, the Swift runtime, argument parsing), a one-task repository (adds
#    libgit2 init + open + SQLite), the 10k-task state with its output cached, with the render
#    cache emptied (the first read after any change), and cold on a 200-commit and the
#    100k-commit history; `complete`.
# 2. CPU profiles (perf, DWARF call graphs) of those reads, `complete` and cold `next`: the
#    inclusive share of the functions that matter. perf samples CPU time only, so `perf stat`
#    (task-clock) and `strace -T` (fsync) cover the rest.
# Writes Benchmarks/work/phases.md and prints it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WORK="$HERE/work"
REPO="$WORK/repo"
OUT="$WORK/phases"
BIN=${CODEX_STATE_BIN:-$ROOT/.build-release/release/codex-state}
RUNS=${RUNS:-10}          # timed runs per warm row (cold rows and complete: half)
say() { printf '==> %s\n' "$*" >&2; }

[ -x "$BIN" ] || { echo "no binary at $BIN: run Benchmarks/run.sh first" >&2; exit 1; }
[ -f "$REPO/.git/bench-meta.json" ] || { echo "no $REPO: run Benchmarks/run.sh first" >&2; exit 1; }
for tool in hyperfine perf strace; do
    command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "$([ $tool = perf ] && echo linux-perf || echo $tool)" >/dev/null; }
done
BENCH_HOME=$(mktemp -d "${TMPDIR:-/tmp}/codex-state-phases-home.XXXXXX")
trap 'rm -rf "$BENCH_HOME"' EXIT
export HOME="$BENCH_HOME" CODEX_STATE_ACTOR=bench
if [ -z "${REPORT_ONLY:-}" ]; then  # REPORT_ONLY=1 re-renders phases.md from the last run's data
rm -rf "$OUT"
mkdir -p "$OUT"

# --- fixtures --------------------------------------------------------------------------------
TINY="$WORK/tiny"
rm -rf "$TINY"
mkdir -p "$TINY"
git -C "$TINY" init -q -b main
echo hi >"$TINY/README"
git -C "$TINY" add README
GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@x GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@x git -C "$TINY" commit -q -m init
"$BIN" init -C "$TINY" >/dev/null
"$BIN" task add "The only task" -C "$TINY" >/dev/null
SHORT="$WORK/short-history"
if [ ! -f "$SHORT/.git/bench-meta.json" ]; then
    rm -rf "$SHORT"
    say "generating 10k tasks on a 200-commit history"
    python3 "$HERE/generate.py" "$SHORT" --commits 200 --tasks 10000 2>/dev/null
fi
for r in "$REPO" "$SHORT"; do
    git -C "$r" checkout -q -f main
    rm -rf "$r/.git/codex-state"
done
open_id() { python3 -c "import json; print(json.load(open('$1/.git/bench-meta.json'))['open_task_ids'][0])"; }

# --- 1. differential timings -----------------------------------------------------------------
idle_pct() {  # % of CPU time idle over 5 s
    local a b total=0 i
    a=($(head -n 1 /proc/stat)); sleep 5; b=($(head -n 1 /proc/stat))
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $(( total > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / total : 100 ))
}
deadline=$((SECONDS + ${WAIT_FOR_QUIET:-0}))
while :; do
    idle=$(idle_pct)
    [ "$idle" -ge 85 ] || [ $SECONDS -ge $deadline ] && break
    say "CPUs only ${idle}% idle; waiting"
    sleep 20
done
echo "CPUs $idle% idle in the 5 s before measuring; load average $(cut -d' ' -f1-3 /proc/loadavg)." >"$OUT/idle.txt"
t() {  # t LABEL RUNS PREPARE COMMAND...: median ms
    local label=$1 runs=$2 prepare=$3
    shift 3
    local args=(-N --style none --runs "$runs" --warmup 1 --export-json "$OUT/t.json" -i)
    [ -n "$prepare" ] && args+=(--prepare "$prepare")
    hyperfine "${args[@]}" "$(printf '%q ' "$@")" >/dev/null 2>&1
    local ms
    ms=$(python3 -c "import json; r=json.load(open('$OUT/t.json'))['results'][0]; print(f\"{r['median']*1000:.1f} | {r['user']*1000:.1f} | {r['system']*1000:.1f}\")")
    say "$label: $ms"
    echo "| $label | $ms |" >>"$OUT/rows.md"
}
cold() { echo "rm -f $1/.git/codex-state/index.sqlite $1/.git/codex-state/index.sqlite-wal $1/.git/codex-state/index.sqlite-shm"; }

t "/bin/true (process floor)" "$RUNS" "" /bin/true
t "git rev-parse HEAD (100k repo)" "$RUNS" "" git -C "$REPO" rev-parse HEAD
t "codex-state --help (startup only)" "$RUNS" "" "$BIN" --help
t "next, 1-task repo, warm" "$RUNS" "" "$BIN" next -C "$TINY"
"$BIN" next -C "$REPO" >/dev/null
"$BIN" tasks --json -C "$REPO" >/dev/null
t "next, 10k tasks, 100k commits, warm (output cached)" "$RUNS" "" "$BIN" next -C "$REPO"
t "tasks --json, 10k tasks, 100k commits, warm (output cached)" "$RUNS" "" "$BIN" tasks --json -C "$REPO"
UNRENDERED="python3 $HERE/clear_rendered.py $REPO/.git/codex-state/index.sqlite"
t "next, 10k tasks, 100k commits, render cache emptied" "$RUNS" "$UNRENDERED" "$BIN" next -C "$REPO"
t "tasks --json, 10k tasks, 100k commits, render cache emptied" "$RUNS" "$UNRENDERED" "$BIN" tasks --json -C "$REPO"
t "next, 10k tasks, 200 commits, cold" $((RUNS / 2 > 2 ? RUNS / 2 : 3)) "$(cold "$SHORT")" "$BIN" next -C "$SHORT"
t "next, 10k tasks, 100k commits, cold" $((RUNS / 2 > 2 ? RUNS / 2 : 3)) "$(cold "$REPO")" "$BIN" next -C "$REPO"
# complete on a snapshot, as in run.sh
"$BIN" next -C "$SHORT" >/dev/null
cp "$SHORT/.codex-state/project_state.json" "$OUT/state.json"
cp "$SHORT/.git/codex-state/index.sqlite" "$OUT/index.sqlite"
RESTORE="$(cold "$SHORT"); cp $OUT/state.json $SHORT/.codex-state/project_state.json; cp $OUT/index.sqlite $SHORT/.git/codex-state/index.sqlite"
SHORT_OPEN=$(open_id "$SHORT")
t "complete, 10k tasks, 200 commits" $((RUNS / 2 > 2 ? RUNS / 2 : 3)) "sh -c '$RESTORE'" "$BIN" complete "$SHORT_OPEN" -C "$SHORT"
sh -c "$RESTORE"

# --- 2. profiles -----------------------------------------------------------------------------
profile() {  # profile NAME RUNS FREQ PREPARE COMMAND...: perf record, inclusive % per symbol
    local name=$1 n=$2 freq=$3 prepare=$4
    shift 4
    local i
    for i in $(seq "$n"); do
        [ -n "$prepare" ] && sh -c "$prepare"
        perf record -q -F "$freq" --call-graph dwarf,16384 -o "$OUT/$name.$i.data" "$@" >/dev/null 2>&1
    done
    for i in $(seq "$n"); do
        perf report -i "$OUT/$name.$i.data" --children --sort symbol -g none --stdio 2>/dev/null
    done | swift demangle --simplified >"$OUT/$name.report.txt"
    rm -f "$OUT/$name".*.data
    # perf stat: CPU time against wall time.
    [ -n "$prepare" ] && sh -c "$prepare"
    perf stat -x, -e task-clock,page-faults -o "$OUT/$name.stat.txt" "$@" >/dev/null 2>&1 || true
}
"$BIN" next -C "$REPO" >/dev/null
"$BIN" tasks --json -C "$REPO" >/dev/null
profile next_warm 3 4999 "" "$BIN" next -C "$REPO"
profile tasks_warm 3 4999 "" "$BIN" tasks --json -C "$REPO"
profile next_unrendered 3 4999 "$UNRENDERED" "$BIN" next -C "$REPO"
profile tasks_unrendered 3 2999 "$UNRENDERED" "$BIN" tasks --json -C "$REPO"
RESTORE_BIG="$(cold "$REPO"); cp $OUT/big-state.json $REPO/.codex-state/project_state.json; cp $OUT/big-index.sqlite $REPO/.git/codex-state/index.sqlite"
"$BIN" next -C "$REPO" >/dev/null
cp "$REPO/.codex-state/project_state.json" "$OUT/big-state.json"
cp "$REPO/.git/codex-state/index.sqlite" "$OUT/big-index.sqlite"
BIG_OPEN=$(open_id "$REPO")
profile complete 3 999 "$RESTORE_BIG" "$BIN" complete "$BIG_OPEN" -C "$REPO"
sh -c "$RESTORE_BIG"
strace -f -T -e trace=fsync,fdatasync,rename,openat -o "$OUT/complete.strace" "$BIN" complete "$BIG_OPEN" -C "$REPO" >/dev/null
sh -c "$RESTORE_BIG"
profile next_cold 1 499 "$(cold "$REPO")" "$BIN" next -C "$REPO"
git -C "$REPO" checkout -q -f main
rm -rf "$REPO/.git/codex-state" "$SHORT/.git/codex-state"
fi  # REPORT_ONLY

python3 - "$OUT" "$WORK/phases.md" <<'EOF'
import os, re, sys
out, dest = sys.argv[1], sys.argv[2]
rows = open(os.path.join(out, "rows.md")).read().splitlines()

# Functions worth naming, as regexes over demangled symbols; the largest inclusive share of any
# matching line is reported (perf lists inlined copies and thunks separately).
STARTUP = [
    ("dynamic loader (before main)", r"\] _dl_start$"),
    ("argument parsing", r"ParsableCommand\.parseAsRoot"),
    ("libgit2 init + open repository", r"Repository\.discover\(from:\)"),
    ("  of which mbedTLS parsing the CA bundle", r"\] mbedtls_x509_crt_parse_file$"),
    ("HEAD + subject", r"Workspace\.head\(\)"),
    ("opening the SQLite index (GRDB)", r"StateIndex\.init\(path:\)"),
]
CACHED = STARTUP + [
    ("render cache: key + lookup (includes opening the index)", r"Workspace\.cachedOutput\("),
    ("  of which reading the cached body", r"StateIndex\.rendered\("),
    ("writing the output", r"static Output\.emit"),
    ("page faults (kernel)", r"\] asm_exc_page_fault$"),
]
EVAL = [
    ("StateIndex.load (10k rows -> [String: TaskSummary])", r"StateIndex\.load\(\)$"),
    ("  of which splitting deps/labels strings", r"specialized static StateIndex\.split"),
    ("  of which sqlite3_step", r"\] sqlite3_step$"),
    ("reachability answers from the index", r"StateIndex\.reachability\(head:\)$"),
    ("Evaluation.init (status/ready/children/dependents)", r"\] Evaluation\.init\(tasks:reachability:"),
]
WANT = {
    "next_warm": CACHED,
    "tasks_warm": CACHED,
    "next_unrendered": STARTUP + EVAL + [
        ("Ranking.rank", r"Ranking\.rank\("),
        ("storing the rendered output", r"StateIndex\.storeRendered"),
        ("freeing the view (HeadView destroy)", r"destroy for HeadView"),
        ("page faults (kernel)", r"\] asm_exc_page_fault$"),
    ],
    "tasks_unrendered": STARTUP + EVAL + [
        ("JSON output (Output.json / JSONEncoder)", r"static Output\.json"),
        ("  of which TaskListJSON.init (waitingOn per task)", r"TaskListJSON\.init\("),
        ("sorting the listed tasks", r"specialized Sequence\.sorted\(by:\)"),
        ("storing the rendered output", r"StateIndex\.storeRendered"),
        ("freeing the view (HeadView destroy)", r"destroy for HeadView"),
        ("page faults (kernel)", r"\] asm_exc_page_fault$"),
    ],
}
WANT["complete"] = [
    ("dynamic loader (before main)", r"\] _dl_start$"),
    ("libgit2 init + open repository", r"Repository\.discover\(from:\)"),
    ("StateStore.readStateForUpdate (read, hash, decode, check)", r"StateStore\.readState(ForUpdate)?\(\)$"),
    ("  checkNothingDropped (encodes the whole state once more)", r"StateCodec\.checkNothingDropped"),
    ("  StateCodec.decode (JSONDecoder, 9.8 MB)", r"static StateCodec\.decode\(_:\)$"),
    ("  SHA-256 of the file", r"ContentHash\.sha256"),
    ("  conflict-marker scan", r"StateCodec\.conflictMarkerLine"),
    ("ProjectState.changes(to:) (diff old/new)", r"ProjectState\.changes\(to:\)"),
    ("StateStore.write", r"StateStore\.write\(_:replacing:changes:\)$"),
    ("  CanonicalJSON.encode (JSONEncoder + indent)", r"static CanonicalJSON\.encode<"),
    ("  of which indent", r"CanonicalJSON\.indent"),
    ("  Files.writeAtomically (CPU part)", r"Files\.writeAtomically"),
    ("  StateIndex.apply", r"StateIndex\.apply\("),
    ("journal append", r"Journal\.append"),
    ("freeing the parsed state", r"destroy for ProjectState|outlined destroy of ProjectState|destroy for LoadedState"),
    ("page faults (kernel)", r"\] asm_exc_page_fault$"),
]
WANT["next_cold"] = [
    ("StateStore.loadIndexed", r"StateStore\.loadIndexed\(\)$"),
    ("  StateCodec.decode (JSONDecoder, 9.8 MB)", r"static StateCodec\.decode\(_:\)$"),
    ("  StateIndex.rebuild (10k inserts)", r"StateIndex\.rebuild\("),
    ("reachability walk (Repository.ancestry)", r"Repository\.ancestry\(of:head:\)"),
    ("  git_revwalk_next", r"\] git_revwalk_next$"),
    ("  commitExists per anchor", r"Repository\.commitExists"),
    ("anchor recovery (Workspace.recoverAnchors)", r"Workspace\.recoverAnchors\("),
    ("  of which patch-ids (Repository.patchID)", r"Repository\.patchID\("),
    ("storing reachability answers", r"StateIndex\.storeReachability"),
    ("Evaluation.init", r"\] Evaluation\.init\(tasks:reachability:"),
    ("storing the rendered output", r"StateIndex\.storeRendered"),
]

def shares(path):
    best = {}
    runs = 0
    for line in open(path, errors="replace"):
        if line.startswith("# Samples"):
            runs += 1
        m = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+(.*\S)\s*$", line)
        if not m:
            continue
        key = re.split(r"\s{2,}", m.group(3))[0]  # perf pads with spaces and appends "-  -"
        best.setdefault(runs, {})
        best[runs][key] = max(best[runs].get(key, 0.0), float(m.group(1)))
    return list(best.values())

def stat(name):
    try:
        lines = open(os.path.join(out, name + ".stat.txt")).read().splitlines()
    except OSError:
        return ""
    vals = {}
    for l in lines:
        p = l.split(",")
        if len(p) > 2 and p[0] and p[0][0].isdigit():
            vals[p[2]] = float(p[0])
    tc = vals.get("task-clock")
    pf = vals.get("page-faults")
    return f"perf stat (one run): task-clock {tc:.0f} ms, {pf:.0f} page faults" if tc else ""

try:
    idle = open(os.path.join(out, "idle.txt")).read().strip()
except OSError:
    idle = ""
md = ["## Where the time goes", "", idle, "", "### Differential timings (hyperfine medians, ms)", "",
      "| what | wall median | user | system |", "| --- | ---: | ---: | ---: |", *rows, ""]
for name, title in [("next_warm", "`next`, warm, output cached (10k tasks, 100k commits)"),
                    ("tasks_warm", "`tasks --json`, warm, output cached"),
                    ("next_unrendered", "`next`, first after a change (render cache emptied)"),
                    ("tasks_unrendered", "`tasks --json`, first after a change (render cache emptied)"),
                    ("complete", "`complete <id>`"),
                    ("next_cold", "`next`, cold (no index)")]:
    per_run = shares(os.path.join(out, name + ".report.txt"))
    md += [f"### {title}: inclusive share of CPU samples (median of {len(per_run)} profiled run(s))", ""]
    s = stat(name)
    if s:
        md += [s, ""]
    md += ["| function | share of samples |", "| --- | ---: |"]
    for label, rx in WANT[name]:
        r = re.compile(rx)
        vals = []
        for run in per_run:
            v = [pct for sym, pct in run.items() if r.search(sym)]
            vals.append(max(v) if v else 0.0)
        vals.sort()
        md.append(f"| {label} | {vals[len(vals) // 2]:.1f}% |" if vals else f"| {label} | ? |")
    md.append("")
try:
    fs = [l for l in open(os.path.join(out, "complete.strace")) if re.search(r"\b(fsync|fdatasync)\(", l)]
    tot = sum(float(re.search(r"<([\d.]+)>", l).group(1)) for l in fs if "<" in l)
    md += [f"`complete` waits {tot * 1000:.1f} ms in {len(fs)} fsync calls (strace -T, one run).", ""]
except OSError:
    pass
text = "\n".join(md) + "\n"
open(dest, "w").write(text)
print(text)
EOF
