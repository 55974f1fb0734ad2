#!/usr/bin/env python3
"""Recall benchmark: how often `codex-state recall` puts the right memory in its top 5.

Usage: Benchmarks/recall/run.py [--binary PATH] [--corpus FILE] [--misses]

Builds a fresh repository in a temporary directory, records every memory of the corpus
(memories.txt) through the real binary, superseded versions and near-duplicate distractors
included, then asks each target's three queries (identifier, keyword, question) with
`recall --json --limit 5`. Prints recall@5 and MRR (mean reciprocal rank, 0 when not in the
top 5) per query kind and overall, as a Markdown table; --misses lists every query that missed
with what came first instead. Deterministic: fixed actor and clock.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = (("I", "identifier"), ("Q", "keyword"), ("?", "question"))


def parse(path):
    blocks, block = [], None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if block:
                    blocks.append(block)
                block = None
                continue
            tag, _, value = line.partition(" ")
            block = block or {"S": [], "N": [], "P": []}
            if tag in ("S", "N", "P"):
                block[tag].append(value)
            else:
                block[tag] = value
    if block:
        blocks.append(block)
    for b in blocks:
        missing = [t for t in ("K", "T", "I", "Q", "?") if t not in b]
        if missing:
            sys.exit(f"corpus block {b.get('T', '?')!r} lacks {missing}")
    return blocks


class Repo:
    def __init__(self, binary, root):
        self.binary, self.root, self.minute = binary, root, 0
        home = os.path.join(root, "home")
        os.makedirs(home)
        self.env = {
            "PATH": "/usr/bin:/bin", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull, "CODEX_STATE_ACTOR": "bench", "LANG": "C.UTF-8", "TZ": "UTC",
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com",
        }
        self.dir = os.path.join(root, "repo")
        os.makedirs(self.dir)
        self.git("init", "-q")
        self.git("commit", "-q", "--allow-empty", "-m", "init")
        self.cs("init")

    def git(self, *args):
        subprocess.run(["git", *args], cwd=self.dir, env=self.env, check=True, capture_output=True)

    def cs(self, *args):
        self.minute += 1
        env = dict(self.env, CODEX_STATE_NOW="2026-01-%02dT%02d:%02d:00Z" % (
            1 + self.minute // 1440, self.minute // 60 % 24, self.minute % 60))
        r = subprocess.run([self.binary, *args], cwd=self.dir, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"codex-state {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def remember(self, kind, text, why=None, paths=(), supersedes=None):
        args = ["remember", text, "--kind", kind]
        if why:
            args += ["--why", why]
        for p in paths:
            args += ["--path", p]
        if supersedes:
            args += ["--supersedes", supersedes]
        return self.cs(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(HERE, "..", "..", ".build", "release", "codex-state"))
    parser.add_argument("--corpus", default=os.path.join(HERE, "memories.txt"))
    parser.add_argument("--misses", action="store_true", help="list the queries that missed")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary}: not built (swift build -c release, or pass --binary)")
    blocks = parse(args.corpus)

    with tempfile.TemporaryDirectory() as root:
        repo = Repo(binary, root)
        for b in blocks:
            old = None
            for s in b["S"]:
                old = repo.remember(b["K"], s, supersedes=old)
            b["id"] = repo.remember(b["K"], b["T"], b.get("W"), b["P"], old)
        # Near-duplicates come last: the newest memory must not win on recency alone.
        for b in blocks:
            for n in b["N"]:
                repo.remember(b["K"], n)
        distractors = sum(len(b["S"]) + len(b["N"]) for b in blocks)

        results = {name: [] for _, name in KINDS}
        misses = []
        for b in blocks:
            for tag, name in KINDS:
                out = json.loads(repo.cs("recall", "--json", "--limit", "5", "--", b[tag]))
                ids = [r["memory"]["id"] for r in out["results"]]
                rank = ids.index(b["id"]) + 1 if b["id"] in ids else None
                results[name].append(rank)
                if rank is None:
                    first = out["results"][0]["memory"]["text"] if out["results"] else "(nothing)"
                    misses.append((name, b[tag], b["T"], first))

    def row(name, ranks):
        hit = sum(1 for r in ranks if r) / len(ranks)
        mrr = sum(1 / r for r in ranks if r) / len(ranks)
        return f"| {name} | {len(ranks)} | {hit:.3f} | {mrr:.3f} |"

    print(f"{len(blocks)} memories, {distractors} distractors (superseded or near-duplicate), "
          f"{3 * len(blocks)} queries\n")
    print("| queries | n | recall@5 | MRR |\n|---|---|---|---|")
    for _, name in KINDS:
        print(row(name, results[name]))
    print(row("all", [r for _, name in KINDS for r in results[name]]))
    if args.misses:
        print(f"\nMissed ({len(misses)}):\n")
        for name, query, want, first in misses:
            print(f"- {name} `{query}` → wanted “{want}”; first: “{first}”")


if __name__ == "__main__":
    main()
