#!/usr/bin/env bash
# graph, report --html, import and export at 1k and 10k tasks: CPU time (user+sys) and peak RSS
# of the release binary, page weight, and the page's render time in headless Chromium.
#
#     Benchmarks/pictures.sh [BIN]      (default: .build/release/codex-state)
#
# Repositories come from Benchmarks/generate.py (2,000 commits: the burn-down walks them) under
# Benchmarks/work/pictures-<n>. Each command runs 5 times; the median CPU time is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-.build/release/codex-state}")
mkdir -p Benchmarks/work
work=$(realpath Benchmarks/work)
checker=$(realpath Tests/IntegrationTests/browser/report_check.py)
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
export CODEX_STATE_ACTOR=bench CODEX_STATE_NOW=2026-01-15T09:00:00Z

median_cpu() { # command...: prints "median-user+sys-ms max-rss-KiB"
  local runs=() rss=0
  for _ in 1 2 3 4 5; do
    local out
    /usr/bin/time -o "$timing" -f '%U %S %M' "$@" >/dev/null 2>/dev/null
    out=$(tail -1 "$timing")
    runs+=("$(awk '{printf "%.0f", ($1+$2)*1000}' <<<"$out")")
    local r; r=$(awk '{print $3}' <<<"$out"); ((r > rss)) && rss=$r
  done
  printf '%s %s\n' "$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)" "$rss"
}

for n in 1000 10000; do
  repo="$work/pictures-$n"
  if [ ! -d "$repo/.git" ]; then
    rm -rf "$repo"
    python3 Benchmarks/generate.py "$repo" --tasks "$n" --commits 2000 >/dev/null 2>&1
  fi
  ( cd "$repo" && "$bin" tasks >/dev/null )  # the index, built once
  echo "== $n tasks"
  for args in "graph --format dot" "graph --format mermaid" "graph --format ascii" "graph --json" \
    "graph --format dot --all" "export beads" "export json"; do
    # shellcheck disable=SC2086
    read -r ms rss < <(cd "$repo" && median_cpu "$bin" $args)
    printf '  %-28s %6s ms CPU  %7s KiB\n' "$args" "$ms" "$rss"
  done
  page="$work/pictures-$n.html"
  read -r ms rss < <(cd "$repo" && median_cpu "$bin" report --html "$page")
  printf '  %-28s %6s ms CPU  %7s KiB  page %s KiB\n' "report --html" "$ms" "$rss" "$(( $(stat -c %s "$page") / 1024 ))"
  ( cd "$repo" && "$bin" export beads >"$work/pictures-$n.jsonl" 2>/dev/null )
  fresh="$work/pictures-import-$n"
  rm -rf "$fresh" && mkdir -p "$fresh" && git -C "$fresh" init -q && git -C "$fresh" commit -q --allow-empty -m init
  ( cd "$fresh" && "$bin" init -q )
  ( cd "$fresh" && /usr/bin/time -o "$timing" -f '%U %S %M' "$bin" import beads "$work/pictures-$n.jsonl" -q >/dev/null 2>&1 )
  out=$(tail -1 "$timing")
  printf '  %-28s %6s ms CPU  %7s KiB\n' "import beads (first)" "$(awk '{printf "%.0f", ($1+$2)*1000}' <<<"$out")" "$(awk '{print $3}' <<<"$out")"
  read -r ms rss < <(cd "$fresh" && median_cpu "$bin" import beads "$work/pictures-$n.jsonl")
  printf '  %-28s %6s ms CPU  %7s KiB\n' "import beads (again)" "$ms" "$rss"
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    facts=$(python3 "$checker" "$page" "$work/pictures-$n.png")
    printf '  %-28s %s\n' "page in Chromium" "$(python3 -c 'import json,sys; f=json.loads(sys.argv[1]); print("render %s ms (script end), DOMContentLoaded %s ms, %s nodes, %s edges, load %s s wall" % (f["render_ms"], f["dom_content_loaded_ms"], f["nodes"], f["edges"], f["load_seconds"]))' "$facts")"
  fi
done
