#!/usr/bin/env bash
# Benchmarks codex-state against a 100k-commit repository with a 10k-task state.
#
#   bash Benchmarks/run.sh            # build, generate (once), measure, print the table
#   RUNS=20 COLD_RUNS=10 bash Benchmarks/run.sh
#   REGENERATE=1 bash Benchmarks/run.sh   # throw the generated repository away first
#   WAIT_FOR_QUIET=600 bash Benchmarks/run.sh  # on a shared machine: wait for idle CPUs first
#   BUILD_REV=HEAD bash Benchmarks/run.sh  # measure a clean export of a commit, not the work tree
#   CODEX_STATE_BIN=path bash Benchmarks/run.sh  # measure a prebuilt binary
#   BUILD_ONLY=1 bash Benchmarks/run.sh  # build, print the binary's path, stop
#
# Everything it makes goes to Benchmarks/work/ (git-ignored): the repository (work/repo), the
# hyperfine JSON exports and results.md. The release binary is built into .build-release/
# (git-ignored), never into the default .build/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WORK="$HERE/work"
REPO="$WORK/repo"
OUT="$WORK/results"
SNAP="$WORK/snapshot"
RUNS=${RUNS:-20}          # timed runs for warm commands
WARMUP=${WARMUP:-3}
COLD_RUNS=${COLD_RUNS:-10} # timed runs for cold commands (index deleted before each)
MUT_RUNS=${MUT_RUNS:-15}   # timed runs for mutations
RSS_RUNS=${RSS_RUNS:-3}    # /usr/bin/time runs per command; the largest peak is reported
COMMITS=${COMMITS:-100000}
TASKS=${TASKS:-10000}

say() { printf '==> %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v git >/dev/null || need_apt+=(git)
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- build -----------------------------------------------------------------------------------
# Default: build the working tree into .build-release/. BUILD_REV=REV builds a clean export of
# that commit instead (into work/src/, so edits in progress do not leak into the numbers);
# CODEX_STATE_BIN=PATH skips building and measures that binary.
build() {  # build DIR: release build, retried (a file saved mid-build aborts it)
    local try
    for try in 1 2 3; do
        if (cd "$1" && swift build -c release --static-swift-stdlib --scratch-path .build-release --product codex-state) >"$WORK/build.log" 2>&1; then
            tail -n 1 "$WORK/build.log" >&2
            return 0
        fi
        tail -n 5 "$WORK/build.log" >&2
        say "build failed (attempt $try)"
        sleep 5
    done
    return 1
}
mkdir -p "$WORK"
if [ -n "${CODEX_STATE_BIN:-}" ]; then
    BIN=$CODEX_STATE_BIN
    SOURCE_REV=${CODEX_STATE_REV:-"(prebuilt binary $BIN)"}
elif [ -n "${BUILD_REV:-}" ]; then
    rev=$(git -C "$ROOT" rev-parse --short "$BUILD_REV")
    SRC="$WORK/src"  # one directory for every revision, so its .build-release/ is reused
    if [ "$(cat "$SRC/.bench-rev" 2>/dev/null)" != "$rev" ]; then
        mkdir -p "$SRC"
        find "$SRC" -mindepth 1 -maxdepth 1 ! -name .build-release -exec rm -rf {} +
        git -C "$ROOT" archive "$rev" | tar -x -C "$SRC"
        [ -f "$ROOT/Package.resolved" ] && cp "$ROOT/Package.resolved" "$SRC/"
        echo "$rev" >"$SRC/.bench-rev"
    fi
    say "building release binary of $rev in $SRC"
    build "$SRC"
    BIN="$SRC/.build-release/release/codex-state"
    SOURCE_REV="$rev (clean export)"
else
    say "building release binary (.build-release)"
    build "$ROOT"
    BIN="$ROOT/.build-release/release/codex-state"
    SOURCE_REV="$(git -C "$ROOT" describe --always --dirty --exclude '*') (working tree)"
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
[ -n "${BUILD_ONLY:-}" ] && { echo "$BIN"; exit 0; }

# --- data ------------------------------------------------------------------------------------
if [ -n "${REGENERATE:-}" ]; then rm -rf "$REPO"; fi
if [ ! -f "$REPO/.git/bench-meta.json" ]; then
    rm -rf "$REPO"
    say "generating $COMMITS commits / $TASKS tasks into $REPO"
    python3 "$HERE/generate.py" "$REPO" --commits "$COMMITS" --tasks "$TASKS"
fi

# A clean environment: no user git config, a fixed actor.
BENCH_HOME=$(mktemp -d "${TMPDIR:-/tmp}/codex-state-bench-home.XXXXXX")
trap 'rm -rf "$BENCH_HOME"' EXIT
export HOME="$BENCH_HOME" CODEX_STATE_ACTOR=bench
unset CODEX_STATE_NOW GIT_DIR GIT_WORK_TREE

# Back to the generated state: the committed file, no index, no journal (earlier runs mutated it).
git -C "$REPO" checkout -q -f main
git -C "$REPO" reset -q --hard main
rm -rf "$REPO/.git/codex-state"
meta() { python3 -c "import json,sys; m=json.load(open('$REPO/.git/bench-meta.json')); print(eval(sys.argv[1]))" "$1"; }
HEAD_SHA=$(git -C "$REPO" rev-parse HEAD)
[ "$HEAD_SHA" = "$(meta "m['head']")" ] || { echo "repository HEAD differs from bench-meta.json; REGENERATE=1" >&2; exit 1; }
OLDEST=$(meta "m['oldest_main_anchor']['commit']")
OPEN1=$(meta "m['open_task_ids'][0]")
OPEN2=$(meta "m['open_task_ids'][1]")

IDX="$REPO/.git/codex-state/index.sqlite"
CS="$BIN"
C_=(-C "$REPO")  # -C is an option of each subcommand, so it goes after the subcommand

say "checking that the state parses"
"$CS" tasks --json --all "${C_[@]}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = len(d["tasks"])
eff = {}
for t in d["tasks"]:
    eff[t["effective_status"]] = eff.get(t["effective_status"], 0) + 1
ready = sum(t["ready"] for t in d["tasks"])
print(f"    tasks --json --all: {n} tasks; effective status {dict(sorted(eff.items()))}; ready {ready}", file=sys.stderr)
assert n >= 10000 or n == int(sys.argv[1]), n
' "$TASKS"

rm -rf "$OUT"
mkdir -p "$OUT"

# bench NAME RUNS WARMUP PREPARE -- COMMAND...  (PREPARE may be empty)
bench() {
    local name=$1 runs=$2 warmup=$3 prepare=$4
    shift 5
    local args=(-N --style basic --runs "$runs" --warmup "$warmup" --export-json "$OUT/$name.json")
    [ -n "${IGNORE_FAILURE:-}" ] && args+=(--ignore-failure)
    [ -n "$prepare" ] && args+=(--prepare "$prepare")
    local cmd
    cmd=$(printf '%q ' "$@")
    say "hyperfine $name: $cmd"
    hyperfine "${args[@]}" "$cmd" >"$OUT/$name.hyperfine.txt" 2>&1 || { cat "$OUT/$name.hyperfine.txt" >&2; exit 1; }
    grep -E 'Time|Range' "$OUT/$name.hyperfine.txt" | sed 's/^/    /' >&2 || true
}

# rss NAME PREPARE -- COMMAND...: peak resident set (KiB) over RSS_RUNS runs.
rss() {
    local name=$1 prepare=$2
    shift 3
    local best=0 kb
    for _ in $(seq "$RSS_RUNS"); do
        [ -n "$prepare" ] && sh -c "$prepare"
        /usr/bin/time -f %M -o "$OUT/$name.rss.tmp" "$@" >/dev/null 2>&1 || [ -n "${IGNORE_FAILURE:-}" ]
        kb=$(tail -n 1 "$OUT/$name.rss.tmp")
        [ "$kb" -gt "$best" ] && best=$kb
    done
    rm -f "$OUT/$name.rss.tmp"
    echo "$best" >"$OUT/$name.rss"
}

COLD="rm -f $IDX $IDX-wal $IDX-shm"

# On a shared machine other processes (builds) distort wall times. WAIT_FOR_QUIET=SECONDS waits up
# to that long for the CPUs to be at least 85% idle over a 5-second sample before measuring.
idle_pct() {
    local a b
    a=($(head -n 1 /proc/stat)); sleep 5; b=($(head -n 1 /proc/stat))
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $(( total > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / total : 100 ))
}
deadline=$((SECONDS + ${WAIT_FOR_QUIET:-0}))
while :; do
    IDLE_BEFORE=$(idle_pct)
    [ "$IDLE_BEFORE" -ge 85 ] && break
    [ $SECONDS -ge $deadline ] && { say "CPUs only ${IDLE_BEFORE}% idle: other processes will distort the numbers"; break; }
    say "CPUs only ${IDLE_BEFORE}% idle; waiting"
    sleep 20
done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- references ------------------------------------------------------------------------------
bench git_rev_parse "$RUNS" "$WARMUP" "" -- git -C "$REPO" rev-parse HEAD
rss git_rev_parse "" -- git -C "$REPO" rev-parse HEAD
bench git_is_ancestor "$COLD_RUNS" 2 "" -- git -C "$REPO" merge-base --is-ancestor "$OLDEST" HEAD
rss git_is_ancestor "" -- git -C "$REPO" merge-base --is-ancestor "$OLDEST" HEAD
# The startup floor: argument parsing only, no repository. (Builds before 0986b6a print an error
# for `--help` and exit 1, so failures are ignored for this row only.)
IGNORE_FAILURE=1 bench help "$RUNS" "$WARMUP" "" -- "$BIN" --help
IGNORE_FAILURE=1 rss help "" -- "$BIN" --help

# --- reads -----------------------------------------------------------------------------------
# Cold: no index, so the 9 MB file is parsed, the index rebuilt and every completion commit's
# reachability computed by walking history.
bench next_cold "$COLD_RUNS" 1 "$COLD" -- "$CS" next "${C_[@]}"
rss next_cold "$COLD" -- "$CS" next "${C_[@]}"
bench tasks_cold "$COLD_RUNS" 1 "$COLD" -- "$CS" tasks --json "${C_[@]}"
rss tasks_cold "$COLD" -- "$CS" tasks --json "${C_[@]}"
# Warm: the index matches the file, holds the reachability answers for HEAD and (in builds that
# have a render cache) the output of this very command.
"$CS" next "${C_[@]}" >/dev/null
bench next_warm "$RUNS" "$WARMUP" "" -- "$CS" next "${C_[@]}"
rss next_warm "" -- "$CS" next "${C_[@]}"
bench tasks_warm "$RUNS" "$WARMUP" "" -- "$CS" tasks --json "${C_[@]}"
rss tasks_warm "" -- "$CS" tasks --json "${C_[@]}"
# First read after a change: the index is current (a mutation updates it in place) and holds the
# reachability answers, but no rendered output for the new state yet. In an agent's loop
# (next, work, complete, next, ...) every `next` is this case.
UNRENDERED="python3 $HERE/clear_rendered.py $IDX"
bench next_unrendered "$RUNS" "$WARMUP" "$UNRENDERED" -- "$CS" next "${C_[@]}"
rss next_unrendered "$UNRENDERED" -- "$CS" next "${C_[@]}"
bench tasks_unrendered "$RUNS" "$WARMUP" "$UNRENDERED" -- "$CS" tasks --json "${C_[@]}"
rss tasks_unrendered "$UNRENDERED" -- "$CS" tasks --json "${C_[@]}"

# --- mutations -------------------------------------------------------------------------------
# complete: every timed run completes the same open task from the same starting point. Before
# each run the state file and the index (warm, in step with the file, as the tool itself leaves
# them) are put back from a snapshot; without that, the second run would find nothing to change
# and skip the write. The restore is not timed.
rm -rf "$SNAP"
mkdir -p "$SNAP"
"$CS" next "${C_[@]}" >/dev/null
cp "$REPO/.codex-state/project_state.json" "$SNAP/state.json"
for f in "$IDX" "$IDX-wal" "$IDX-shm"; do [ -f "$f" ] && cp "$f" "$SNAP/"; done
RESTORE="rm -f $IDX $IDX-wal $IDX-shm; cp $SNAP/state.json $REPO/.codex-state/project_state.json; cp $SNAP/index.sqlite* $REPO/.git/codex-state/"
bench complete "$MUT_RUNS" 2 "sh -c '$RESTORE'" -- "$CS" complete "$OPEN1" "${C_[@]}"
rss complete "$RESTORE" -- "$CS" complete "$OPEN1" "${C_[@]}"
sh -c "$RESTORE"
# task add: no restore needed; every run adds a new task (ids are random), so each run is a real
# write of a 10k-task state that the previous run left, with the index in step.
bench task_add "$MUT_RUNS" 2 "" -- "$CS" task add "Benchmark task" --dep "$OPEN2" --priority 1 "${C_[@]}"
rss task_add "" -- "$CS" task add "Benchmark task" --dep "$OPEN2" --priority 1 "${C_[@]}"

# Leave the repository as generated.
git -C "$REPO" checkout -q -f main
rm -rf "$REPO/.git/codex-state" "$SNAP"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------------------
python3 - "$OUT" "$REPO" "$WORK/results.md" "$SOURCE_REV" "$LOAD_BEFORE" "$LOAD_AFTER" "$IDLE_BEFORE" <<'EOF'
import json, os, platform, subprocess, sys, time
out, repo, dest, rev, load_before, load_after, idle_before = sys.argv[1:8]
meta = json.load(open(os.path.join(repo, ".git", "bench-meta.json")))

def cmd(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"

rows = [
    # name, label, time target (ms) or None, rss target applies
    ("git_rev_parse", "`git rev-parse HEAD` (anchor)", None, False),
    ("git_is_ancestor", "`git merge-base --is-ancestor <oldest anchor> HEAD` (reference)", None, False),
    ("help", "`codex-state --help` (startup floor)", None, True),
    ("next_cold", "`codex-state next` cold (no index)", None, True),
    ("next_warm", "`codex-state next` warm (same output rendered before)", 15, True),
    ("next_unrendered", "`codex-state next` first after a change (index current, nothing rendered)", 15, True),
    ("tasks_cold", "`codex-state tasks --json` cold (no index)", None, True),
    ("tasks_warm", "`codex-state tasks --json` warm (same output rendered before)", 15, True),
    ("tasks_unrendered", "`codex-state tasks --json` first after a change", 15, True),
    ("complete", "`codex-state complete <id>`", 25, True),
    ("task_add", "`codex-state task add TITLE --dep ID --priority 1`", 25, True),
]
RSS_TARGET = 64
lines = [
    "| command | median ms | min ms | max ms | runs | CPU ms | peak RSS MB | target | met? |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
]
summary = {}
for name, label, target, rss_applies in rows:
    r = json.load(open(os.path.join(out, name + ".json")))["results"][0]
    med, lo, hi = (r["median"] * 1000, r["min"] * 1000, r["max"] * 1000)
    kb = int(open(os.path.join(out, name + ".rss")).read().split()[0])
    mb = kb / 1024
    parts, ok = [], True
    if target is not None:
        parts.append(f"≤ {target} ms")
        ok &= med <= target
    if rss_applies:
        parts.append(f"≤ {RSS_TARGET} MB")
        ok &= mb <= RSS_TARGET
    if not parts:
        met = "(reference)"
    else:
        why = []
        if target is not None and med > target:
            why.append(f"time {med / target:.0f}×" if med >= 2 * target else "time")
        if rss_applies and mb > RSS_TARGET:
            why.append("RSS")
        met = "yes" if ok else "**no** (" + ", ".join(why) + ")"
    cpu = (r["user"] + r["system"]) * 1000
    lines.append(f"| {label} | {med:.1f} | {lo:.1f} | {hi:.1f} | {len(r['times'])} | {cpu:.1f} | {mb:.1f} | "
                 f"{' and '.join(parts) if parts else '—'} | {met} |")
    summary[name] = {"median_ms": med, "min_ms": lo, "max_ms": hi, "runs": len(r["times"]), "cpu_ms": cpu,
                     "peak_rss_mb": mb}

libgit2 = cmd("dpkg-query", "-W", "-f=${Version}", "libgit2-1.5") or "?"
cpu = "?"
try:
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip(); break
except OSError:
    pass
env = [
    f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; codex-state built from {rev} "
    "(release, `swift build -c release --static-swift-stdlib`)",
    f"- machine: {cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}",
    f"- {cmd('swift', '--version').splitlines()[0] if cmd('swift', '--version') else 'swift ?'}; "
    f"{cmd('git', '--version')}; libgit2 {libgit2}; {cmd('hyperfine', '--version')}",
    f"- repository: {meta['commits_on_main']} commits on main ({meta['total_commits']} in all), "
    f"state {meta['tasks']} tasks / {meta['edges']} dependency edges / {meta['state_bytes'] / 1e6:.1f} MB, "
    f"statuses {meta['status']}, completion anchors {meta['anchors']}",
    f"- CPUs {idle_before}% idle in the 5 s before measuring; load average (1/5/15 min) {load_before} "
    f"before, {load_after} after"
    + ("  **(busy machine: other processes competed for the CPUs; wall times are inflated, compare CPU ms)**"
       if int(idle_before) < 85 else ""),
    "- median/min/max are whole-process wall time (hyperfine, no shell); CPU ms is hyperfine's mean "
    "user + system time; peak RSS is the largest `/usr/bin/time -f %M` over a few runs; MB = MiB",
]
text = "## codex-state benchmark results\n\n" + "\n".join(env) + "\n\n" + "\n".join(lines) + "\n"
open(dest, "w").write(text)
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)
print(text)
EOF
