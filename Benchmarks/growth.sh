#!/usr/bin/env bash
# Every time target of the performance issue, at several state sizes, each beside its anchor
# measured in the same run (docs/performance.md, "Targets and growth").
#
#   bash Benchmarks/growth.sh                       # build, generate, measure 100 1k 10k 50k tasks
#   SIZES="100 1000" COMMITS=2000 bash Benchmarks/growth.sh   # a quick run
#   CODEX_STATE_BIN=path bash Benchmarks/growth.sh  # measure a prebuilt binary
#
# For each size N it generates (once) `Benchmarks/work/growth/N` with generate.py (N tasks,
# COMMITS commits, default 100,000), then measures, whole process, with hyperfine -N:
#   anchors      git rev-parse HEAD; git merge-base --is-ancestor <deepest anchor> HEAD;
#                git checkout between two branches without hooks
#   startup      codex-state --help
#   reads        next, tasks --json, preamble: warm (the same command ran before) and first
#                after a change (an untimed `complete` of another task just before each run)
#   mutations    complete, task add, task start, next --claim (state and index restored, then
#                one read, before each run); CPU from hyperfine, fsync wait from strace -T
#   hooks        git checkout with the hooks installed (minus the plain checkout: the hook's cost)
#   check        cold `check` (no index) against the merge-base anchor
# and peak RSS (/usr/bin/time) of every codex-state command, bytes printed by each read and
# bytes written by each mutation (the growth rule: no command may grow faster than what it
# prints or writes, plus a constant). Results: Benchmarks/work/growth.md and growth.json.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WORK="$HERE/work"
SIZES=${SIZES:-"100 1000 10000 50000"}
COMMITS=${COMMITS:-100000}
RUNS=${RUNS:-15}
COLD_RUNS=${COLD_RUNS:-5}
WARMUP=${WARMUP:-2}
say() { printf '==> %s\n' "$*" >&2; }

need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v strace >/dev/null || need_apt+=(strace)
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

mkdir -p "$WORK/growth"
if [ -n "${CODEX_STATE_BIN:-}" ]; then
    BIN=$CODEX_STATE_BIN
    REV=${CODEX_STATE_REV:-"(prebuilt $BIN)"}
else
    BIN=$(BUILD_ONLY=1 bash "$HERE/run.sh" | tail -n 1)
    REV="$(git -C "$ROOT" describe --always --dirty --exclude '*') (working tree)"
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }

BENCH_HOME=$(mktemp -d "${TMPDIR:-/tmp}/codex-state-growth-home.XXXXXX")
trap 'rm -rf "$BENCH_HOME"' EXIT
export HOME="$BENCH_HOME" CODEX_STATE_ACTOR=bench GIT_CONFIG_NOSYSTEM=1 CODEX_STATE_BIN="$BIN"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset CODEX_STATE_NOW GIT_DIR GIT_WORK_TREE
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

for N in $SIZES; do
    REPO="$WORK/growth/$N"
    OUT="$WORK/growth/results-$N"
    if [ ! -f "$REPO/.git/bench-meta.json" ]; then
        rm -rf "$REPO"
        say "generating $COMMITS commits / $N tasks into $REPO"
        python3 "$HERE/generate.py" "$REPO" --commits "$COMMITS" --tasks "$N"
    fi
    rm -rf "$OUT"
    mkdir -p "$OUT"
    git -C "$REPO" checkout -q -f main
    git -C "$REPO" reset -q --hard main
    rm -rf "$REPO/.git/codex-state" "$REPO/.git/hooks/post-"* "$REPO/.git/hooks/"*.codex-state-chained
    meta() { python3 -c "import json,sys; m=json.load(open('$REPO/.git/bench-meta.json')); print(eval(sys.argv[1]))" "$1"; }
    OLDEST=$(meta "m['oldest_main_anchor']['commit']")
    OPEN=($(meta "' '.join(m['open_task_ids'][:4])"))
    IDX="$REPO/.git/codex-state/index.sqlite"
    STATE="$REPO/.codex-state/project_state.json"
    SNAP="$OUT/snapshot"
    CS=("$BIN")

    # bench NAME RUNS PREPARE COMMAND...  (PREPARE may be empty)
    bench() {
        local name=$1 runs=$2 prepare=$3
        shift 3
        local args=(-N --style basic --runs "$runs" --warmup "$WARMUP" --export-json "$OUT/$name.json")
        [ -n "$prepare" ] && args+=(--prepare "$prepare")
        [ -n "${IGNORE_FAILURE:-}" ] && args+=(--ignore-failure)
        say "[$N] $name"
        hyperfine "${args[@]}" "$(printf '%q ' "$@")" >"$OUT/$name.txt" 2>&1 || { cat "$OUT/$name.txt" >&2; exit 1; }
    }
    # rss NAME PREPARE COMMAND...: peak RSS in KiB over two runs; bytes printed on stdout.
    rss() {
        local name=$1 prepare=$2 best=0 kb
        shift 2
        for _ in 1 2; do
            [ -n "$prepare" ] && sh -c "$prepare"
            /usr/bin/time -f %M -o "$OUT/$name.rss.tmp" "$@" >"$OUT/$name.stdout" 2>/dev/null || true
            kb=$(tail -n 1 "$OUT/$name.rss.tmp")
            [ "$kb" -gt "$best" ] && best=$kb
        done
        echo "$best $(wc -c <"$OUT/$name.stdout")" >"$OUT/$name.rss"
    }
    # fsyncs NAME PREPARE COMMAND...: total wait in fsync-family calls over one run (strace -T).
    fsyncs() {
        local name=$1 prepare=$2
        shift 2
        [ -n "$prepare" ] && sh -c "$prepare"
        strace -f -T -e trace=fsync,fdatasync,sync_file_range,syncfs -o "$OUT/$name.strace" "$@" >/dev/null 2>&1 || true
        python3 - "$OUT/$name.strace" >"$OUT/$name.fsync" <<'PY'
import re, sys
calls, wait = 0, 0.0
for line in open(sys.argv[1]):
    m = re.search(r"<([0-9.]+)>\s*$", line)
    if m and re.search(r"\b(fsync|fdatasync|sync_file_range|syncfs)\(", line):
        calls += 1
        wait += float(m.group(1))
print(calls, round(wait * 1000, 2))
PY
    }

    # Anchors.
    bench anchor_rev_parse "$RUNS" "" git -C "$REPO" rev-parse HEAD
    bench anchor_is_ancestor "$COLD_RUNS" "" git -C "$REPO" merge-base --is-ancestor "$OLDEST" HEAD
    bench help "$RUNS" "" "${CS[@]}" --help
    rss help "" "${CS[@]}" --help

    # The starting point every restore returns to: the generated state as the tool itself last
    # wrote it (one task added: a file this tool did not write takes the full, checked write path
    # once), and a warm index.
    "${CS[@]}" task add "Benchmark baseline" -C "$REPO" >/dev/null
    "${CS[@]}" next -C "$REPO" >/dev/null
    mkdir -p "$SNAP"
    cp "$STATE" "$SNAP/state.json"
    cp "$IDX"* "$SNAP/"
    RESTORE="rm -f $IDX $IDX-wal $IDX-shm; cp $SNAP/state.json $STATE; cp $SNAP/index.sqlite* $REPO/.git/codex-state/"
    # A restore gives the file a new inode and ctime, so the index no longer knows it by its stat
    # data; one read re-stamps it (as any read after an outside change would), then the change is
    # made by the tool itself, as in an agent's loop.
    SETTLE="$RESTORE; $BIN next -C $REPO >/dev/null"
    AFTER_CHANGE="$SETTLE; $BIN complete ${OPEN[3]} -C $REPO >/dev/null"

    # Reads: warm, then first after a change.
    for cmd in next tasks preamble; do
        case $cmd in
        next) args=(next) ;;
        tasks) args=(tasks --json) ;;
        preamble) args=(preamble) ;;
        esac
        sh -c "$RESTORE"
        "${CS[@]}" "${args[@]}" -C "$REPO" >/dev/null
        bench "${cmd}_warm" "$RUNS" "" "${CS[@]}" "${args[@]}" -C "$REPO"
        rss "${cmd}_warm" "" "${CS[@]}" "${args[@]}" -C "$REPO"
        bench "${cmd}_after_change" "$RUNS" "sh -c '$AFTER_CHANGE'" "${CS[@]}" "${args[@]}" -C "$REPO"
        rss "${cmd}_after_change" "$AFTER_CHANGE" "${CS[@]}" "${args[@]}" -C "$REPO"
    done

    # Mutations, each from the same starting point.
    mut() {
        local name=$1
        shift
        bench "$name" "$RUNS" "sh -c '$SETTLE'" "$@"
        rss "$name" "$SETTLE" "$@"
        fsyncs "$name" "$SETTLE" "$@"
        sh -c "$RESTORE"
        "$@" >/dev/null 2>&1 || true
        echo "$(wc -c <"$STATE")" >"$OUT/$name.written"
    }
    mut complete "${CS[@]}" complete "${OPEN[0]}" -C "$REPO"
    mut task_add "${CS[@]}" task add "Benchmark task" --dep "${OPEN[1]}" --priority 1 -C "$REPO"
    mut task_start "${CS[@]}" task start "${OPEN[2]}" -C "$REPO"
    mut next_claim "${CS[@]}" next --claim -C "$REPO"
    sh -c "$RESTORE"

    # Cold check against its anchor.
    COLD="rm -f $IDX $IDX-wal $IDX-shm"
    # (check exits 1 when it has findings: the generated history has some, by design)
    IGNORE_FAILURE=1 bench check_cold "$COLD_RUNS" "$COLD" "${CS[@]}" check -C "$REPO"
    rss check_cold "$COLD" "${CS[@]}" check -C "$REPO"
    sh -c "$RESTORE"

    # The post-checkout hook: a branch switch with and without the hooks, from the committed state
    # (the baseline task above is not committed, and git would refuse to switch over it).
    git -C "$REPO" checkout -q -f main
    "${CS[@]}" next -C "$REPO" >/dev/null
    git -C "$REPO" branch -f bench-a main~1
    git -C "$REPO" branch -f bench-b main~2
    (cd "$REPO" && hyperfine -N --style basic -w "$WARMUP" -r "$RUNS" --export-json "$OUT/checkout_plain.json" \
        "git checkout -q bench-a" "git checkout -q bench-b" >"$OUT/checkout_plain.txt" 2>&1)
    "${CS[@]}" hooks install -C "$REPO" >/dev/null
    (cd "$REPO" && hyperfine -N --style basic -w "$WARMUP" -r "$RUNS" --export-json "$OUT/checkout_hooked.json" \
        "git checkout -q bench-a" "git checkout -q bench-b" >"$OUT/checkout_hooked.txt" 2>&1)
    # The hook's fsync wait on one switch (git itself syncs nothing on a checkout).
    fsyncs checkout_hooked "" git -C "$REPO" checkout -q bench-b
    git -C "$REPO" checkout -q bench-a
    "${CS[@]}" hooks uninstall -C "$REPO" >/dev/null
    git -C "$REPO" checkout -q -f main
    git -C "$REPO" branch -q -D bench-a bench-b
    rm -rf "$REPO/.git/codex-state" "$SNAP"
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
python3 "$HERE/growth_report.py" "$WORK/growth" "$REV" "$LOAD_BEFORE" "$LOAD_AFTER" $SIZES
