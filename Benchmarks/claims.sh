#!/usr/bin/env bash
# What a claims remote costs (docs/claims.md; figures in docs/performance.md, "Claims across
# clones"): `next --claim` and a read (`next`), without a claims remote and with one, its
# listing fresh (cached) or listed anew, over file:// on loopback (a bare clone of the
# benchmark repository).
#
#   bash Benchmarks/claims.sh                      # release build, 1,000 tasks, 2,000 commits
#   TASKS=10000 COMMITS=100000 RUNS=15 bash Benchmarks/claims.sh
#   CODEX_STATE_BIN=path bash Benchmarks/claims.sh # a prebuilt binary
#   TRANSPORT=daemon bash Benchmarks/claims.sh     # over git daemon on loopback (default: file://)
#
# Round trips are counted, not guessed: over file:// the remote's upload-pack (ls-remote, fetch)
# and receive-pack (push) are wrappers that log each connection; over git daemon, the daemon's
# own log of each request is counted. Wall time is the median too (over git daemon the server's
# CPU is not the command's: wall time shows the round trips). CPU is perf's task-clock of the
# whole command, git and its children included (user + system, not wall time: the machine is
# shared). Each claim is measured from the same state: the state file, the remote's claim
# references and the listing are restored, then one untimed read warms the index, before each
# run. Results: Benchmarks/work/claims/claims.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WORK="$HERE/work/claims"
TASKS=${TASKS:-1000}
COMMITS=${COMMITS:-2000}
RUNS=${RUNS:-15}
say() { printf '==> %s\n' "$*" >&2; }

command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
if [ -z "${CODEX_STATE_BIN:-}" ]; then
  say "release build"
  (cd "$ROOT" && swift build -c release --product codex-state >/dev/null)
  CODEX_STATE_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/codex-state"
fi
BIN=$CODEX_STATE_BIN

export GIT_CONFIG_NOSYSTEM=1 HOME="$WORK/home" CODEX_STATE_ACTOR=bench LC_ALL=C
rm -rf "$WORK"
mkdir -p "$HOME"
git config --global user.name Bench
git config --global user.email bench@example.com
say "generating $TASKS tasks, $COMMITS commits"
python3 "$HERE/generate.py" "$WORK/a" --commits "$COMMITS" --tasks "$TASKS" >/dev/null
git clone -q --bare "$WORK/a" "$WORK/remote.git"
for tool in upload-pack receive-pack; do
  cat >"$WORK/count-$tool" <<EOF
#!/bin/sh
echo $tool >>"$WORK/round-trips"
exec git-$tool "\$@"
EOF
  chmod +x "$WORK/count-$tool"
done
cd "$WORK/a"
TRANSPORT=${TRANSPORT:-file}
if [ "$TRANSPORT" = daemon ]; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --base-path="$WORK" --export-all \
    --enable=receive-pack --verbose --log-destination=stderr "$WORK" 2>>"$WORK/daemon.log" &
  DAEMON=$!
  trap 'kill $DAEMON 2>/dev/null || true' EXIT
  for _ in $(seq 100); do git ls-remote "git://127.0.0.1:$PORT/remote.git" >/dev/null 2>&1 && break; sleep 0.1; done
  git remote add origin "git://127.0.0.1:$PORT/remote.git"
else
  git remote add origin "file://$WORK/remote.git"
  git config remote.origin.uploadpack "$WORK/count-upload-pack"
  git config remote.origin.receivepack "$WORK/count-receive-pack"
fi
"$BIN" init >/dev/null
cp .codex-state/project_state.json "$WORK/state.saved"

# How much CPU one run of "$@" took (ms), and how many connections it opened, by kind.
measure() {
  : >"$WORK/round-trips"
  : >"$WORK/daemon.log"
  local t0 t1
  t0=$(date +%s%N)
  perf stat -x, -e task-clock -o "$WORK/perf.out" -- "$@" >/dev/null 2>"$WORK/stderr" || {
    cat "$WORK/stderr" >&2
    return 1
  }
  t1=$(date +%s%N)
  local ms up rp
  ms=$(awk -F, '/task-clock/ {print $1}' "$WORK/perf.out")
  if [ "$TRANSPORT" = daemon ]; then
    up=$(grep -c "Request upload-pack" "$WORK/daemon.log" || true)
    rp=$(grep -c "Request receive-pack" "$WORK/daemon.log" || true)
  else
    up=$(grep -c upload-pack "$WORK/round-trips" || true)
    rp=$(grep -c receive-pack "$WORK/round-trips" || true)
  fi
  echo "$ms $up $rp $(((t1 - t0) / 1000000))"
}

# Restores the state, the remote's claims and (with a remote) a fresh listing, then warms.
restore() {
  cp "$WORK/state.saved" .codex-state/project_state.json
  git -C "$WORK/remote.git" for-each-ref --format='%(refname)' refs/codex-state/claims/ |
    while read -r ref; do git -C "$WORK/remote.git" update-ref -d "$ref"; done
  if [ -n "$(git config codex-state.claimsRemote || true)" ]; then "$BIN" claims --refresh >/dev/null 2>&1; fi
  "$BIN" next >/dev/null 2>&1
}

# Median CPU and the connections of RUNS runs of a command; `claim` restores before each.
series() {
  local label=$1 kind=$2
  shift 2
  local out=() walls=()
  local ups=0 rps=0
  for _ in $(seq "$RUNS"); do
    if [ "$kind" = claim ]; then restore; else "$@" >/dev/null 2>&1; fi
    read -r ms up rp wall < <(measure "$@")
    out+=("$ms")
    walls+=("$wall")
    ups=$up
    rps=$rp
  done
  local median wmedian
  median=$(printf '%s\n' "${out[@]}" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}')
  wmedian=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}')
  printf '| %s | %s | %s | %s | %s |\n' "$label" "$median" "$wmedian" "$ups" "$rps" | tee -a "$WORK/claims.md"
}

{
  echo "Tasks: $TASKS, commits: $COMMITS, runs: $RUNS, transport: $TRANSPORT, $(git --version), $(uname -m)."
  echo
  echo "| command | CPU ms (median, task-clock) | wall ms (median) | ls-remote/fetch connections | push connections |"
  echo "|---|---|---|---|---|"
} | tee "$WORK/claims.md"

git config --unset codex-state.claimsRemote || true
series "next (no claims remote)" read "$BIN" next
series "next --claim (no claims remote)" claim "$BIN" next --claim

git config codex-state.claimsRemote origin
git config codex-state.claimsCacheSeconds 3600
"$BIN" claims --refresh >/dev/null
series "next, listing fresh" read "$BIN" next
series "next --claim, listing fresh" claim "$BIN" next --claim

git config codex-state.claimsCacheSeconds 0
series "next, listed anew" read "$BIN" next
series "next --claim, listed anew" claim "$BIN" next --claim

say "results in $WORK/claims.md"
