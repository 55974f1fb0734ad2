#!/usr/bin/env python3
"""Generates the codex-state benchmark repository (stdlib only).

    python3 Benchmarks/generate.py PATH [--commits 100000] [--tasks 10000] [--seed 1]
                                        [--missing-anchors 0]

PATH must not exist (or be an empty directory). What it makes:

* a git repository whose `main` has COMMITS first-parent commits, written with one
  `git fast-import` stream (fixed author/committer dates, 10 minutes apart from 2020-01-01).
  Each commit rewrites one of 64 small files under src/. Every 5,000 commits a 10-commit topic
  branch forks off and is merged back 30 commits later (so main has merges whose second-parent
  commits are reachable only through the merge). Two branches are never merged:
  `feature/abandoned` forks at commit 3,000 (very old) and `feature/wip` forks 1,000 commits
  before the tip. A commit-graph is written, as `git gc`/`fetch` would.
* `.codex-state/project_state.json` (schema 1, canonical JSON) with TASKS tasks, about two
  dependency edges per task (a task only depends on tasks with a lower index, so the graph is
  acyclic), parents, labels, milestones, goals, bodies, acceptance criteria and notes; about
  30% of tasks are `done` with `completion.commit` anchored across the whole history: most on
  main (from the first few hundred commits to the tip), some on merged topic branches, some on
  the two unmerged branches (not reachable from main) and, with --missing-anchors N, N on
  commits that do not exist in the repository. It is committed on main as the last commit, and
  checked out.
* `.git/bench-meta.json` (untracked): ids and commits the benchmark script uses.
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time

BASE_TIME = 1577836800  # 2020-01-01T00:00:00Z
STEP = 600  # seconds between main commits
NAME, EMAIL = "Bench Author", "bench@example.com"
ACTORS = ["alice", "bob", "carol", "codex-agent-1", "codex-agent-2", "dana"]
LABELS = ["api", "backend", "bug", "cli", "db", "docs", "feature", "frontend", "infra", "perf",
          "refactor", "release", "security", "test", "ux", "ci"]
VERBS = ["Add", "Fix", "Refactor", "Document", "Speed up", "Remove", "Rename", "Test", "Harden",
         "Split", "Port", "Validate"]
NOUNS = ["the session cache", "merge driver", "index rebuild", "ranking terms", "journal reader",
         "lock handling", "error messages", "config loader", "HTTP client", "retry policy",
         "schema migration", "CLI help text", "preamble output", "hook installer", "DAG checks"]
COMPONENTS = ["core", "store", "cli", "hooks", "mcp", "docs", "ci", "gitkit", "model", "web"]
WORDS = ("the of and to in is that for it as with was on be by this are or from at which an "
         "not but have all were when we there can more if no out so what up about into than them "
         "could state task commit branch index cache merge graph ready ranking anchor history "
         "worktree journal lock schema file parse write read agent session milestone goal").split()


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def hexid(prefix, text):
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:10]


def sentence(rng, lo, hi):
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return (" ".join(words)).capitalize() + "."


# ---------------------------------------------------------------------------------------------
# History


def fast_import_stream(commits, rng):
    """Yields the fast-import stream; returns nothing. Marks: main commit i (1-based) is :i;
    side-branch commits use marks above 10,000,000. Records side-branch marks in SIDE."""
    out = []
    side_marks = {"topic": [], "abandoned": [], "wip": []}
    mark_time = {}

    def commit(ref, mark, when, msg, path, content, from_mark=None, merge_mark=None):
        who = f"{NAME} <{EMAIL}> {when} +0000"
        msg_b = msg.encode()
        body = content.encode()
        parts = [f"commit {ref}\nmark :{mark}\nauthor {who}\ncommitter {who}\n"
                 f"data {len(msg_b)}\n".encode(), msg_b, b"\n"]
        if from_mark is not None:
            parts.append(f"from :{from_mark}\n".encode())
        if merge_mark is not None:
            parts.append(f"merge :{merge_mark}\n".encode())
        parts.append(f"M 100644 inline {path}\ndata {len(body)}\n".encode())
        parts.append(body)
        parts.append(b"\n\n")
        mark_time[mark] = when
        return b"".join(parts)

    side = 10_000_000
    # (fork point on main, branch kind, length, merge point or None)
    plans = {}
    for k, fork in enumerate(range(2_500, commits - 100, 5_000)):
        plans.setdefault(fork, []).append((f"refs/heads/topic/t{k:02d}", "topic", 10, fork + 30))
    plans.setdefault(min(3_000, commits // 2), []).append(("refs/heads/feature/abandoned", "abandoned", 40, None))
    plans.setdefault(max(commits - 1_000, 1), []).append(("refs/heads/feature/wip", "wip", 20, None))
    merges = {}  # main index -> side tip mark

    for i in range(1, commits + 1):
        when = BASE_TIME + i * STEP
        f = i % 64
        merge = merges.pop(i, None)
        msg = (f"Merge topic into main ({i})" if merge else
               f"{rng.choice(VERBS)} {rng.choice(NOUNS)} in {rng.choice(COMPONENTS)} ({i})")
        out.append(commit("refs/heads/main", i, when, msg, f"src/mod_{f:02d}.txt",
                          f"module {f}\nrevision {i}\n", from_mark=None, merge_mark=merge))
        for ref, kind, length, merge_at in plans.get(i, []):
            prev = i
            marks = []
            for j in range(length):
                side += 1
                out.append(commit(ref, side, when + 60 * (j + 1), f"{kind} work {j} (from {i})",
                                  f"side/{kind}_{i}.txt", f"{kind} {i} step {j}\n", from_mark=prev if j == 0 else None))
                marks.append(side)
                prev = side
            side_marks[kind].extend(marks)
            if merge_at is not None and merge_at <= commits:
                merges[merge_at] = marks[-1]
        if len(out) >= 2000:
            yield b"".join(out)
            out = []
    if out:
        yield b"".join(out)
    fast_import_stream.side_marks = side_marks
    fast_import_stream.mark_time = mark_time


def git(repo, *args, env=None, input=None):
    e = dict(os.environ)
    e.update({"GIT_AUTHOR_NAME": NAME, "GIT_AUTHOR_EMAIL": EMAIL,
              "GIT_COMMITTER_NAME": NAME, "GIT_COMMITTER_EMAIL": EMAIL})
    if env:
        e.update(env)
    return subprocess.run(["git", "-C", repo, *args], check=True, env=e, input=input,
                          stdout=subprocess.PIPE).stdout


def build_history(repo, commits, rng):
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", NAME)
    git(repo, "config", "user.email", EMAIL)
    marks_file = os.path.join(repo, ".git", "bench-marks")
    p = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--done",
                          f"--export-marks={marks_file}"], stdin=subprocess.PIPE)
    for chunk in fast_import_stream(commits, rng):
        p.stdin.write(chunk)
    p.stdin.write(b"done\n")
    p.stdin.close()
    if p.wait() != 0:
        sys.exit("git fast-import failed")
    marks = {}
    with open(marks_file) as fh:
        for line in fh:
            m, sha = line.split()
            marks[int(m[1:])] = sha
    os.unlink(marks_file)
    return marks, fast_import_stream.side_marks, fast_import_stream.mark_time


# ---------------------------------------------------------------------------------------------
# State


def build_state(n_tasks, commits, marks, side_marks, mark_time, rng, missing_anchors=0):
    ids = [hexid("t-", f"bench-task-{i}") for i in range(n_tasks)]
    assert len(set(ids)) == n_tasks
    tip_time = BASE_TIME + commits * STEP

    milestones = {}
    for k, (title, due) in enumerate([("Alpha", "2020-06-30"), ("Beta", "2020-12-31"),
                                      ("1.0", "2021-06-30"), ("1.1", "2021-12-31"),
                                      ("2.0", None), ("Someday", None)]):
        mid = hexid("m-", f"bench-milestone-{k}")
        m = {"id": mid, "title": title, "created": {"at": iso(BASE_TIME + k * 86400), "actor": "alice"}}
        if due:
            m["due"] = due
        milestones[mid] = m
    mids = sorted(milestones)
    goals = {}
    for k, text in enumerate(["Ship a reliable 1.0", "Keep every command under 15 ms",
                              "Agents never lose track of work"]):
        gid = hexid("g-", f"bench-goal-{k}")
        goals[gid] = {"id": gid, "text": text, "created": {"at": iso(BASE_TIME + k * 3600), "actor": "alice"}}

    def main_commit_at_or_after(idx):
        idx = max(1, min(commits, idx))
        return marks[idx], BASE_TIME + idx * STEP

    tasks = {}
    edges = 0
    counts = {}
    anchors = {"main": 0, "topic": 0, "abandoned": 0, "wip": 0, "missing": 0}
    oldest_anchor = None  # (main index, sha)
    for i in range(n_tasks):
        tid = ids[i]
        created_idx = max(1, int(i / n_tasks * commits * 0.95) + rng.randint(0, 200))
        created_at = BASE_TIME + min(created_idx, commits) * STEP
        actor = rng.choice(ACTORS)
        # Dependencies: lower indices only (acyclic); mostly near neighbours.
        deps = set()
        if i > 0:
            k = rng.choices([0, 1, 2, 3, 4], weights=[10, 25, 30, 20, 15])[0]
            for _ in range(k):
                j = rng.randint(max(0, i - 30), i - 1) if rng.random() < 0.7 else rng.randint(0, i - 1)
                deps.add(ids[j])
        edges += len(deps)
        t = {
            "id": tid,
            "title": f"{rng.choice(VERBS)} {rng.choice(NOUNS)} in {rng.choice(COMPONENTS)} (#{i})",
            "priority": rng.choices([0, 1, 2, 3, 4], weights=[5, 20, 45, 20, 10])[0],
            "deps": sorted(deps),
            "labels": sorted(set(rng.sample(LABELS, rng.choice([0, 1, 1, 2, 2, 3])))),
            "acceptance": [sentence(rng, 6, 14) for _ in range(rng.choice([0, 0, 1, 2, 3]))],
            "notes": [],
            "created": {"at": iso(created_at), "actor": actor},
        }
        if i > 0 and rng.random() < 0.15:
            t["parent"] = ids[rng.randint(max(0, i - 50), i - 1)]
        if rng.random() < 0.4:
            t["milestone"] = rng.choice(mids)
        if rng.random() < 0.6:
            t["body"] = " ".join(sentence(rng, 8, 20) for _ in range(rng.randint(2, 6)))
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            t["notes"].append({"at": iso(created_at + rng.randint(60, 86400)), "actor": rng.choice(ACTORS),
                               "text": sentence(rng, 5, 25)})
        updated_at = created_at + rng.randint(0, 3 * 86400)

        p_done = 0.9 if i < 0.2 * n_tasks else 0.5 if i < 0.4 * n_tasks else 0.15 if i < 0.7 * n_tasks else 0.02
        r = rng.random()
        if r < p_done:
            status = "done"
            u = rng.random()
            if u < 0.02 and side_marks["abandoned"]:
                kind, mark = "abandoned", rng.choice(side_marks["abandoned"])
                sha, when, branch = marks[mark], mark_time[mark], "feature/abandoned"
            elif u < 0.03 and side_marks["wip"]:
                kind, mark = "wip", rng.choice(side_marks["wip"])
                sha, when, branch = marks[mark], mark_time[mark], "feature/wip"
            elif u < 0.06 and side_marks["topic"]:
                kind, mark = "topic", rng.choice(side_marks["topic"])
                sha, when, branch = marks[mark], mark_time[mark], "topic"
            else:
                kind = "main"
                # Completed some time after creation; the earliest tasks land in the first
                # few hundred commits, the latest near the tip.
                idx = created_idx + rng.randint(5, 3_000)
                sha, when = main_commit_at_or_after(idx)
                idx = max(1, min(commits, idx))
                branch = "main"
                if oldest_anchor is None or idx < oldest_anchor[0]:
                    oldest_anchor = (idx, sha)
            anchors[kind] += 1
            when = max(when, created_at)
            t["completion"] = {"commit": sha, "branch": branch, "at": iso(when), "actor": actor}
            if rng.random() < 0.2:
                t["completion"]["note"] = sentence(rng, 4, 12)
            updated_at = max(updated_at, when)
        elif r < p_done + 0.03:
            status = "cancelled"
        elif r < p_done + 0.05:
            status = "blocked"
            t["blocker"] = sentence(rng, 4, 10)
        elif r < p_done + 0.06:
            status = "in_progress"
            sidx = max(1, min(commits, created_idx + rng.randint(1, 500)))
            t["started"] = {"at": iso(BASE_TIME + sidx * STEP), "actor": actor, "branch": "main",
                            "commit": marks[sidx]}
            if rng.random() < 0.5:
                t["claim"] = {"actor": actor, "expires": iso(tip_time + 7200)}
        else:
            status = "open"
        t["status"] = status
        counts[status] = counts.get(status, 0) + 1
        t["updated"] = {"at": iso(updated_at), "actor": actor}
        tasks[tid] = t

    # Completions by commits this clone does not have (rebased away, never fetched): they show as
    # `done?`, and while any exists the render cache stores nothing, so the default is none.
    oldest_sha = oldest_anchor[1] if oldest_anchor else None
    on_main = [t for t in (tasks[x] for x in ids)
               if t.get("completion", {}).get("branch") == "main" and t["completion"]["commit"] != oldest_sha]
    for t in rng.sample(on_main, min(missing_anchors, len(on_main))):
        t["completion"]["commit"] = hashlib.sha1(f"gone-{t['id']}".encode()).hexdigest()
        t["completion"]["branch"] = "rebased-away"
        anchors["main"] -= 1
        anchors["missing"] += 1

    state = {"schema": 1, "project": {"name": "bench"}, "goals": goals, "milestones": milestones,
             "tasks": tasks}
    stats = {"tasks": n_tasks, "edges": edges, "status": counts, "anchors": anchors,
             "parents": sum(1 for t in tasks.values() if "parent" in t),
             "oldest_main_anchor": {"index": oldest_anchor[0], "commit": oldest_anchor[1]} if oldest_anchor else None}
    return state, ids, stats


def canonical(obj):
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--commits", type=int, default=100_000)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--missing-anchors", type=int, default=0,
                    help="done tasks whose completion commit does not exist in the repository")
    args = ap.parse_args()
    repo = os.path.abspath(args.path)
    if os.path.exists(repo) and os.listdir(repo):
        sys.exit(f"{repo} exists and is not empty")
    os.makedirs(repo, exist_ok=True)
    rng = random.Random(args.seed)
    t0 = time.time()

    marks, side_marks, mark_time = build_history(repo, args.commits, rng)
    t1 = time.time()
    print(f"history: {len(marks)} commits ({args.commits} on main) in {t1 - t0:.1f}s", file=sys.stderr)

    state, ids, stats = build_state(args.tasks, args.commits, marks, side_marks, mark_time, rng,
                                    args.missing_anchors)
    text = canonical(state).encode()

    # The state file is the last commit on main, written with a second fast-import so its dates
    # are fixed too.
    when = BASE_TIME + (args.commits + 1) * STEP
    who = f"{NAME} <{EMAIL}> {when} +0000"
    msg = b"Add codex-state benchmark state\n"
    stream = b"".join([
        f"commit refs/heads/main\nauthor {who}\ncommitter {who}\ndata {len(msg)}\n".encode(), msg,
        b"from refs/heads/main^0\n",
        f"M 100644 inline .codex-state/project_state.json\ndata {len(text)}\n".encode(), text, b"\n",
        b"M 100644 inline .codex-state/sessions/.gitkeep\ndata 0\n\n",
        b"done\n",
    ])
    git(repo, "fast-import", "--quiet", "--done", input=stream)
    git(repo, "reset", "-q", "--hard", "main")
    git(repo, "commit-graph", "write", "--reachable")
    head = git(repo, "rev-parse", "HEAD").decode().strip()
    t2 = time.time()

    # Ids the benchmark script needs: open tasks to complete (a different one for every run is
    # possible), and the deepest anchors.
    open_ids = [i for i in sorted(state["tasks"]) if state["tasks"][i]["status"] == "open"]
    meta = {
        "head": head,
        "commits_on_main": args.commits,
        "total_commits": len(marks) + 1,
        "state_bytes": len(text),
        "open_task_ids": open_ids[:200],
        "abandoned_commit": marks[side_marks["abandoned"][0]] if side_marks["abandoned"] else None,
        **stats,
    }
    with open(os.path.join(repo, ".git", "bench-meta.json"), "w") as fh:
        json.dump(meta, fh, indent=2, sort_keys=True)
    print(f"state: {args.tasks} tasks, {stats['edges']} dependency edges, {len(text) / 1e6:.1f} MB, "
          f"status {stats['status']}, anchors {stats['anchors']}", file=sys.stderr)
    print(f"done in {t2 - t0:.1f}s: {repo} at {head}", file=sys.stderr)


if __name__ == "__main__":
    main()
