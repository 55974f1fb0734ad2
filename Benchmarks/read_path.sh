#!/usr/bin/env bash
# The read path (issue 11): next / tasks / preamble warm, with nothing rendered, and the first
# read after each kind of change (complete, task add, a HEAD move), for one binary.
#
#   bash Benchmarks/read_path.sh BIN REPO [LABEL]
#
# REPO is a generated benchmark repository (Benchmarks/generate.py) used by this binary alone:
# builds with different index versions rebuild each other's index, so give each its own copy
# (cp -a). Every "after a change" run starts from the same snapshot of the state file, the index
# and HEAD (untimed --prepare), makes the change untimed, and times the read that follows: what
# an agent's `next` after its own `complete` costs. Prints a Markdown table (median wall ms, CPU
# ms = mean user + system, peak RSS MB = the largest of RSS_RUNS runs of /usr/bin/time).
set -euo pipefail
BIN=$1
REPO=$2
LABEL=${3:-$BIN}
RUNS=${RUNS:-15}
RSS_RUNS=${RSS_RUNS:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME=$WORK/home CODEX_STATE_ACTOR=bench GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git -C "$REPO" config user.name bench
git -C "$REPO" config user.email bench@example.com
IDX=$REPO/.git/codex-state
STATE=$REPO/.codex-state/project_state.json
OPEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['open_task_ids'][0])" "$REPO/.git/bench-meta.json" 2>/dev/null \
    || "$BIN" tasks -C "$REPO" --status ready --json | python3 -c "import json,sys; print(json.load(sys.stdin)['tasks'][0]['id'])")
HEAD0=$(git -C "$REPO" rev-parse HEAD)
BRANCH=$(git -C "$REPO" symbolic-ref --short HEAD)

# COPIES=1: the one-truth view at the issue's size: 50 more branches with the state committed
# (local branches at HEAD) and 5 linked worktrees, two of them with a task completed in their
# (uncommitted) copy. Made once per repository.
if [ -n "${COPIES:-}" ] && ! git -C "$REPO" rev-parse -q --verify refs/heads/copy-50 >/dev/null; then
    for i in $(seq 50); do git -C "$REPO" branch "copy-$i" "$HEAD0"; done
    for i in $(seq 5); do
        git -C "$REPO" worktree add -q -b "wt-$i" "$REPO-wt-$i" "$HEAD0"
        if [ "$i" -le 2 ]; then
            other=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['open_task_ids'][int(sys.argv[2])])" \
                "$REPO/.git/bench-meta.json" "$i")
            "$BIN" complete "$other" -C "$REPO-wt-$i" >/dev/null
        fi
    done
fi

# Warm everything once (index built, reachability answered, outputs rendered), then snapshot.
for c in "next" "tasks --json" "tasks" "preamble"; do "$BIN" $c -C "$REPO" >/dev/null; done
SNAP=$WORK/snap
mkdir -p "$SNAP"
cp -a "$IDX" "$SNAP/idx"
cp -a "$STATE" "$SNAP/state.json"
cat >"$WORK/restore" <<EOF
#!/usr/bin/env bash
set -e
rm -rf "$IDX"; cp -a "$SNAP/idx" "$IDX"
# Put the file back only when a change was timed before: a new copy has a new file stamp, and
# every read would then hash the file again (not what a warm read costs).
cmp -s "$SNAP/state.json" "$STATE" || cp -a "$SNAP/state.json" "$STATE"
git -C "$REPO" update-ref "refs/heads/$BRANCH" "$HEAD0"
case "\${1:-}" in
  complete) "$BIN" complete "$OPEN" -C "$REPO" >/dev/null ;;
  add) "$BIN" task add "Benchmark task" --priority 0 -C "$REPO" >/dev/null ;;
  head) GIT_AUTHOR_DATE=2030-01-01T00:00:00Z GIT_COMMITTER_DATE=2030-01-01T00:00:00Z \
          git -C "$REPO" commit -q --allow-empty -m "a HEAD move" ;;
  unrendered) python3 "$HERE/clear_rendered.py" "$IDX/index.sqlite" ;;
esac
EOF
chmod +x "$WORK/restore"

row() {  # row NAME PREPARE-ARG COMMAND...
    local name=$1 prep=$2
    shift 2
    local json=$WORK/$name.json
    hyperfine -N -w 2 -r "$RUNS" --prepare "$WORK/restore $prep" --export-json "$json" "$BIN $* -C $REPO" \
        >/dev/null 2>&1
    local rss=0 i
    for i in $(seq "$RSS_RUNS"); do
        "$WORK/restore" "$prep"
        local r
        r=$( { /usr/bin/time -f '%M' "$BIN" "$@" -C "$REPO" >/dev/null; } 2>&1 | tail -n 1)
        [ "$r" -gt "$rss" ] && rss=$r
    done
    python3 - "$json" "$name" "$rss" "$LABEL" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"| {sys.argv[4]} | {sys.argv[2]} | {r['median']*1000:.1f} | {(r['user']+r['system'])*1000:.1f} | {int(sys.argv[3])/1024:.1f} |")
PY
}

echo "| build | read | median ms | CPU ms | peak RSS MB |"
echo "| --- | --- | ---: | ---: | ---: |"
row "next-warm" warm next
row "tasks-json-warm" warm tasks --json
row "preamble-warm" warm preamble
row "next-unrendered" unrendered next
row "tasks-unrendered" unrendered tasks
row "tasks-json-unrendered" unrendered tasks --json
row "preamble-unrendered" unrendered preamble
row "next-after-complete" complete next
row "next-after-task-add" add next
row "preamble-after-complete" complete preamble
row "next-after-head-move" head next
"$WORK/restore" none
