#!/usr/bin/env bash
# What every other copy of the state costs a read: 50 branches with their own committed state and
# 5 worktrees with uncommitted changes, over the 10k-task benchmark state, against the same
# repository with one copy (the anchor), measured in the same run.
#
#   bash Benchmarks/copies.sh                       # binary from .build-release/ (run.sh builds it)
#   COMMITS=100000 bash Benchmarks/copies.sh        # the full history (default 20,000 commits)
#   CODEX_STATE_BIN=path bash Benchmarks/copies.sh
#
# Uses its own repository (Benchmarks/work/copies-repo, generated once by generate.py), so it
# does not disturb run.sh's. Writes Benchmarks/work/copies.md and prints it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WORK="$HERE/work"
REPO="$WORK/copies-repo"
MAKER="$WORK/copies-maker"
OUT="$WORK/copies"
BIN=${CODEX_STATE_BIN:-$ROOT/.build-release/release/codex-state}
COMMITS=${COMMITS:-20000}
TASKS=${TASKS:-10000}
BRANCHES=${BRANCHES:-50}
WORKTREES=${WORKTREES:-5}
RUNS=${RUNS:-20}
COLD_RUNS=${COLD_RUNS:-3}
say() { printf '==> %s\n' "$*" >&2; }

[ -x "$BIN" ] || { echo "no binary at $BIN: BUILD_ONLY=1 bash Benchmarks/run.sh first" >&2; exit 1; }
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
mkdir -p "$WORK"
if [ ! -f "$REPO/.git/bench-meta.json" ]; then
    rm -rf "$REPO"
    say "generating $COMMITS commits / $TASKS tasks into $REPO"
    python3 "$HERE/generate.py" "$REPO" --commits "$COMMITS" --tasks "$TASKS"
fi

BENCH_HOME=$(mktemp -d "${TMPDIR:-/tmp}/codex-state-copies-home.XXXXXX")
trap 'rm -rf "$BENCH_HOME"' EXIT
export HOME="$BENCH_HOME" CODEX_STATE_ACTOR=bench GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=b@x \
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=b@x
unset CODEX_STATE_NOW GIT_DIR GIT_WORK_TREE

# Back to one copy: no extra branches or worktrees, the committed state, no index.
reset_repo() {
    for w in $(git -C "$REPO" worktree list --porcelain | sed -n 's/^worktree //p' | tail -n +2); do
        git -C "$REPO" worktree remove --force "$w"
    done
    git -C "$REPO" worktree prune
    git -C "$REPO" checkout -q -f main
    git -C "$REPO" reset -q --hard main
    git -C "$REPO" for-each-ref --format='%(refname:short)' 'refs/heads/copy-*' | xargs -r git -C "$REPO" branch -q -D
    rm -rf "$REPO/.git/codex-state" "$REPO/.git/worktrees"/*/codex-state
}
reset_repo
meta() { python3 -c "import json,sys; m=json.load(open('$REPO/.git/bench-meta.json')); print(eval(sys.argv[1]))" "$1"; }
IDX="$REPO/.git/codex-state/index.sqlite"
CS="$BIN"
rm -rf "$OUT"
mkdir -p "$OUT"

bench() {  # bench NAME RUNS PREPARE -- COMMAND...  (WARMUP=N before it to change the 2 warm-up runs)
    local name=$1 runs=$2 prepare=$3
    shift 4
    local args=(-N --style basic --runs "$runs" --warmup "${WARMUP:-2}" --export-json "$OUT/$name.json")
    [ -n "$prepare" ] && args+=(--prepare "$prepare")
    say "hyperfine $name"
    hyperfine "${args[@]}" "$(printf '%q ' "$@")" >"$OUT/$name.txt" 2>&1 || { cat "$OUT/$name.txt" >&2; exit 1; }
    grep -E 'Time' "$OUT/$name.txt" | sed 's/^/    /' >&2 || true
}
UNRENDERED="python3 $HERE/clear_rendered.py $IDX"
# Forgets the grouped facts of every listing (and the rendered output), keeping each copy's own
# facts: the worst case of a regrouping (more than half the copies changed, or the grouping was
# lost), which reads every copy's cached facts. One moved ref only updates the last grouping.
REGROUP="python3 -c \"import sqlite3; d=sqlite3.connect('$IDX'); d.execute('DELETE FROM rendered'); d.execute('DELETE FROM copy_merged'); d.commit()\""
# Forgets everything about the other copies: the first read after they appeared.
COPIES_COLD="python3 -c \"import sqlite3; d=sqlite3.connect('$IDX'); [d.execute('DELETE FROM ' + t) for t in ('rendered', 'copy_merged', 'copy_facts', 'tip_blobs', 'file_stamps', 'contains')]; d.commit()\""

# --- anchor: one copy ---------------------------------------------------------------------------
"$CS" next -C "$REPO" >/dev/null
bench one_next_warm "$RUNS" "" -- "$CS" next -C "$REPO"
bench one_next_unrendered "$RUNS" "$UNRENDERED" -- "$CS" next -C "$REPO"

# --- the copies ------------------------------------------------------------------------------------
# Half the branches complete a task on a commit of their own (done@copy-N on main), the other half
# start one; all commit their state. Each worktree starts a task without committing.
say "making $BRANCHES branches and $WORKTREES worktrees"
git -C "$REPO" worktree add -q -b copy-maker "$MAKER" main
for i in $(seq 1 "$BRANCHES"); do
    id=$(meta "m['open_task_ids'][$((i + 10))]")
    git -C "$MAKER" checkout -q -B "copy-$i" main
    if [ $((i % 2)) -eq 0 ]; then
        echo "$i" >"$MAKER/src/copy-$i.txt"
        git -C "$MAKER" add "src/copy-$i.txt"
        git -C "$MAKER" commit -q -m "work for $id"
        "$CS" complete "$id" -C "$MAKER" >/dev/null
    else
        "$CS" task start "$id" -C "$MAKER" >/dev/null
    fi
    git -C "$MAKER" commit -q -am "state: $id"
done
git -C "$REPO" worktree remove --force "$MAKER"
git -C "$REPO" branch -q -D copy-maker
for k in $(seq 1 "$WORKTREES"); do
    id=$(meta "m['open_task_ids'][$((k + 100))]")
    git -C "$REPO" worktree add -q -b "copy-wt-$k" "$WORK/copies-wt-$k" main
    "$CS" task start "$id" -C "$WORK/copies-wt-$k" >/dev/null
done
refs=$(git -C "$REPO" for-each-ref refs/heads refs/remotes | wc -l)
say "$refs refs, $(git -C "$REPO" worktree list | wc -l) worktrees"
"$CS" tasks --json -C "$REPO" | python3 -c '
import json, sys
d = json.load(sys.stdin)
kinds = {}
for t in d["tasks"]:
    e = t.get("elsewhere")
    if e:
        k = e["kind"] + ("@worktree" if e["worktree"] else "@branch")
        kinds[k] = kinds.get(k, 0) + 1
print("    other copies seen on main:", dict(sorted(kinds.items())), file=sys.stderr)
'

# --- many copies ---------------------------------------------------------------------------------
WARMUP=0 bench many_first "$COLD_RUNS" "$COPIES_COLD" -- "$CS" next -C "$REPO"
"$CS" next -C "$REPO" >/dev/null
bench many_next_warm "$RUNS" "" -- "$CS" next -C "$REPO"
bench many_next_unrendered "$RUNS" "$UNRENDERED" -- "$CS" next -C "$REPO"
bench many_regroup "$RUNS" "$REGROUP" -- "$CS" next -C "$REPO"

python3 - "$OUT" "$WORK/copies.md" "$REPO" "$BRANCHES" "$WORKTREES" "$refs" <<'EOF'
import json, os, sys, time
out, dest, repo, branches, worktrees, refs = sys.argv[1:7]
meta = json.load(open(os.path.join(repo, ".git", "bench-meta.json")))
def r(name):
    x = json.load(open(os.path.join(out, name + ".json")))["results"][0]
    return x["median"] * 1000, (x["user"] + x["system"]) * 1000, len(x["times"])
rows = [
    ("one_next_warm", "one copy: `next` warm (anchor)", None),
    ("one_next_unrendered", "one copy: `next` first after a change (nothing rendered)", None),
    ("many_next_warm", "many copies: `next` warm", "one_next_warm"),
    ("many_next_unrendered", "many copies: `next` first after a change", "one_next_unrendered"),
    ("many_regroup", "many copies: `next` with the grouping rebuilt from every copy's cached facts (worst case)", "one_next_unrendered"),
    ("many_first", "many copies: first read after they appeared (every copy parsed)", "one_next_unrendered"),
]
lines = ["| command | median ms | CPU ms | runs | × anchor (median) | × anchor (CPU) |",
         "| --- | ---: | ---: | ---: | ---: | ---: |"]
for name, label, anchor in rows:
    med, cpu, n = r(name)
    ratio = f"{med / r(anchor)[0]:.2f}×" if anchor else "—"
    cratio = f"{cpu / r(anchor)[1]:.2f}×" if anchor else "—"
    lines.append(f"| {label} | {med:.1f} | {cpu:.1f} | {n} | {ratio} | {cratio} |")
load = open("/proc/loadavg").read().split()[:3]
text = (f"## Every copy of the state: {branches} branches + {worktrees} worktrees\n\n"
        f"- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {meta['commits_on_main']} commits on main, "
        f"{meta['tasks']} tasks ({meta['state_bytes'] / 1e6:.1f} MB state); {refs} refs in all; "
        f"load average {' '.join(load)} after\n\n" + "\n".join(lines) + "\n")
open(dest, "w").write(text)
print(text)
EOF
reset_repo
