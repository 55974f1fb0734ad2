#!/usr/bin/env python3
"""Measures the write path: `task add`, `complete`, `task start` and `next --claim` on the
benchmark repository, for one or more binaries in the same run, reporting CPU (user + system),
wall time, fsync wait and peak RSS separately.

    python3 Benchmarks/write_path.py --repo Benchmarks/work/repo \
        --bin anchor=/path/to/old/codex-state --bin new=.build-release/release/codex-state

Each binary works on its own copy of the repository (mutations change it), its index built
first (untimed). Runs alternate between the binaries so both see the same machine load. Every
run of `complete` and `task start` takes another open task, so each is a real change.

- CPU ms: user + system time of the process (getrusage of the child), median of the runs.
- wall ms: median wall time of the same runs (inflated on a loaded machine; prefer CPU).
- fsync ms / calls: from separate runs under `strace -f -T -e trace=fsync,fdatasync` (strace
  slows the process, so these runs are not timed otherwise): the time spent inside fsync and
  fdatasync, and how many calls, median of the runs.
- RSS MB: the largest peak resident set of the timed runs (ru_maxrss of the child).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_child(argv, cwd, env):
    """CPU ms (user + system), wall ms and peak RSS MB of one process (wait4: its own usage)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {err.decode(errors='replace')}")
    return (usage.ru_utime + usage.ru_stime) * 1000, wall, usage.ru_maxrss / 1024


def fsync_wait(argv, cwd, env):
    with tempfile.NamedTemporaryFile(suffix=".strace") as out:
        subprocess.run(
            ["strace", "-f", "-T", "-e", "trace=fsync,fdatasync", "-o", out.name] + argv,
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        total, calls = 0.0, 0
        for line in open(out.name, encoding="utf-8", errors="replace"):
            if ("fsync(" in line or "fdatasync(" in line) and line.rstrip().endswith(">"):
                total += float(line.rsplit("<", 1)[1].rstrip(">\n"))
                calls += 1
    return total * 1000, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--bin", action="append", required=True, help="label=path")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--fsync-runs", type=int, default=3)
    ap.add_argument("--out", default=None, help="write the Markdown table here too")
    args = ap.parse_args()
    bins = [tuple(b.split("=", 1)) for b in args.bin]
    meta = json.load(open(os.path.join(args.repo, ".git", "bench-meta.json")))
    open_ids = list(meta["open_task_ids"])
    work = tempfile.mkdtemp(prefix="write-path-")
    home = tempfile.mkdtemp(prefix="write-path-home-")
    env = dict(os.environ, HOME=home, CODEX_STATE_ACTOR="bench", GIT_CONFIG_NOSYSTEM="1")
    env.pop("CODEX_STATE_NOW", None)
    repos = {}
    for label, path in bins:
        repo = os.path.join(work, label)
        shutil.copytree(args.repo, repo, symlinks=True)
        subprocess.run([path, "next"], cwd=repo, env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run([path, "task", "add", "warm-up"], cwd=repo, env=env, stdout=subprocess.DEVNULL, check=True)
        repos[label] = repo
    # Each (binary, command, run) takes its own open task.
    ids = iter(open_ids[len(open_ids) // 4:])
    commands = [
        ("task add", lambda i: ["task", "add", f"bench task {i}"]),
        ("complete", lambda i: ["complete", next(ids)]),
        ("task start", lambda i: ["task", "start", next(ids)]),
        ("next --claim", lambda i: ["next", "--claim"]),
    ]
    load = open("/proc/loadavg").read().split()[:3]
    results = {}
    for name, argv_for in commands:
        for i in range(args.runs):
            for label, path in bins:
                cpu, wall, rss = run_child([path] + argv_for(i), repos[label], env)
                r = results.setdefault((name, label), {"cpu": [], "wall": [], "rss": 0.0, "fs": [], "calls": []})
                r["cpu"].append(cpu)
                r["wall"].append(wall)
                r["rss"] = max(r["rss"], rss)
        for i in range(args.fsync_runs):
            for label, path in bins:
                ms, calls = fsync_wait([path] + argv_for(1000 + i), repos[label], env)
                r = results[(name, label)]
                r["fs"].append(ms)
                r["calls"].append(calls)
    load_after = open("/proc/loadavg").read().split()[:3]
    lines = [
        f"load average before {' '.join(load)}, after {' '.join(load_after)}; {args.runs} timed runs, "
        f"{args.fsync_runs} strace runs per command and binary",
        "",
        "| command | binary | CPU ms (median) | wall ms (median) | fsync wait ms (median) | fsync calls | peak RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, _ in commands:
        for label, _ in bins:
            r = results[(name, label)]
            lines.append(
                f"| `{name}` | {label} | {statistics.median(r['cpu']):.1f} | {statistics.median(r['wall']):.1f} | "
                f"{statistics.median(r['fs']):.1f} | {int(statistics.median(r['calls']))} | {r['rss']:.0f} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
