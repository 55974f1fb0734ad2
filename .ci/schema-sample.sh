#!/usr/bin/env bash
# Builds a repository whose state file holds every entity and every field codex-state writes —
# tasks in every status with every optional field, completions with and without a commit, a
# claim, a blocker, milestones, goals, memories of every kind (with why, tasks, paths,
# supersedes, commits, a forgotten one), merge conflict records from a real git merge through
# the merge driver — and session files, then prints the files to validate, one per line.
#
# Usage: .ci/schema-sample.sh BINARY DIR   (DIR must not exist). Used by .ci/run and
# Tests/IntegrationTests/SchemaTests.swift, which run docs/validate-schema.py over the output.
set -euo pipefail
bin=$1
dir=$2
mkdir -p "$dir"
cd "$dir"
# The merge driver git runs is `codex-state merge-driver …`: this binary, first on PATH.
mkdir -p .bin
ln -sf "$bin" .bin/codex-state
[ -e "$(dirname "$bin")/codex-state-mcp" ] && ln -sf "$(dirname "$bin")/codex-state-mcp" .bin/codex-state-mcp
export PATH="$PWD/.bin:$PATH"
export CODEX_STATE_ACTOR=ci
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.com GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.com
git init -q -b main repo
cd repo
git commit -q --allow-empty -m initial
cs() { codex-state "$@"; }
cs init --no-hooks --name "schema sample" >/dev/null
m=$(cs milestone add "Beta" --due 2026-03-01)
cs goal add "Ship the parser" >/dev/null
a=$(cs task add "Parse TOML" --body "All of TOML 1.1" --priority 1 --label parser --label toml \
  --milestone "$m" --accept "tomllib agrees" --accept "Codex agrees")
b=$(cs task add "Document it" --dep "$a" --parent "$a" --label docs)
c=$(cs task add "Blocked one")
d=$(cs task add "Cancelled one")
e=$(cs task add "Claimed one" --priority 0)
f=$(cs task add "Done at a commit")
cs task edit "$a" --note "a note" >/dev/null
cs task start "$a" >/dev/null
cs task block "$c" --reason "waiting on the vendor" >/dev/null
cs task cancel "$d" --reason "not needed" >/dev/null
cs session start --summary "sample session" >/dev/null
git add -A
git commit -q -m "plan"
cs complete "$a" --note "merged" >/dev/null
cs complete "$f" --commit HEAD --note "at HEAD" >/dev/null
dec=$(cs remember "Parsers are hand-written" --kind decision --why "no dependency" --task "$a" --path src/toml \
  --commit HEAD)
cs remember "Parsers are hand-written, with a fuzzer" --kind decision --supersedes "$dec" >/dev/null
cs remember "Never edit config.toml by line" --kind constraint --why "CRLF" >/dev/null
gone=$(cs remember "A note to forget" --kind note)
cs forget "$gone" >/dev/null
cs next --claim >/dev/null
git add -A
git commit -q -m "work"
cs session end --summary "sample session ended" --decision "hand-written parsers" --follow-up "fuzz more" >/dev/null
git add -A
git commit -q -m "session"
# Conflict records: both branches retitle the same task; the driver keeps one and records the other.
git switch -q -c side
cs task edit "$b" --title "Document the parser (side)" >/dev/null
git commit -q -am "side"
git switch -q main
CODEX_STATE_NOW=2099-01-01T00:00:00Z cs task edit "$b" --title "Document the parser (main)" >/dev/null
git commit -q -am "main"
git merge -q --no-edit side >/dev/null 2>&1 || { echo "schema-sample: the merge failed" >&2; exit 1; }
grep -q '"conflicts"' .codex-state/project_state.json || { echo "schema-sample: no conflict record" >&2; exit 1; }
echo "$PWD/.codex-state/project_state.json"
ls "$PWD"/.codex-state/sessions/*.json
