#!/usr/bin/env bash
# Hook costs on the large benchmark repository (see generate.py):
#   - what the post-checkout hook adds to `git checkout` (branch switch there and back),
#   - post-rewrite after a 50-commit rebase (the hook's own run, fed git's 50 old→new lines).
# Usage: Benchmarks/hooks.sh [REPO] [BINARY]   (defaults: Benchmarks/work/hooks-repo, release build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
repo=${1:-$here/work/hooks-repo}
bin=${2:-$root/.build/release/codex-state}
runs=${RUNS:-20}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
[ -x "$bin" ] || (cd "$root" && swift build -c release --static-swift-stdlib)
[ -d "$repo/.git" ] || python3 "$here/generate.py" "$repo"

export HOME=${HOME_OVERRIDE:-$(mktemp -d)} CODEX_STATE_ACTOR=bench GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
cd "$repo"
git checkout -q -f main
git branch -f bench-a main~1 && git branch -f bench-b main~2
"$bin" init >/dev/null        # hooks, merge driver, index
"$bin" next >/dev/null

out=$(mktemp -d)
"$bin" hooks uninstall >/dev/null
hyperfine -N -w 3 -r "$runs" --export-json "$out/plain.json" \
  "git checkout -q bench-a" "git checkout -q bench-b" >/dev/null 2>&1 || true
"$bin" hooks install >/dev/null
hyperfine -N -w 3 -r "$runs" --export-json "$out/hooked.json" \
  "git checkout -q bench-a" "git checkout -q bench-b" >/dev/null 2>&1 || true
git checkout -q main

# post-rewrite: 50 old→new pairs, as git hands them over after rebasing 50 commits.
git log --format=%H -100 main | paste -d' ' - - | head -50 > "$out/rewrites"
cp .codex-state/project_state.json "$out/state.json"
# (hyperfine 1.15 has no --input: a shell redirect, whose spawn cost hyperfine subtracts)
hyperfine -w 2 -r "$runs" --export-json "$out/rewrite.json" \
  --prepare "cp $out/state.json .codex-state/project_state.json" \
  "$bin hook post-rewrite rebase < $out/rewrites" >/dev/null 2>&1 || true
cp "$out/state.json" .codex-state/project_state.json

python3 - "$out" <<'PY'
import json, sys, statistics
out = sys.argv[1]
def med(f, i=None):
    r = json.load(open(f"{out}/{f}.json"))["results"]
    xs = [x for k, res in enumerate(r) if i is None or k == i for x in res["times"]]
    return statistics.median(xs) * 1000
plain, hooked = med("plain"), med("hooked")
print("| what | median ms |")
print("| --- | ---: |")
print(f"| `git checkout` (branch switch), no hooks | {plain:.1f} |")
print(f"| `git checkout` (branch switch), hooks installed | {hooked:.1f} |")
print(f"| added by the post-checkout hook | {hooked - plain:.1f} (target ≤ 5) |")
print(f"| post-rewrite after a 50-commit rebase | {med('rewrite'):.1f} (target ≤ 50) |")
PY
