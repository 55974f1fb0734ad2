#!/usr/bin/env python3
"""Recall benchmark: how often `codex-state recall` puts the right memory in its top 5.

Usage: Benchmarks/recall/run.py [--split tuning|heldout|all] [--binary PATH]
                                [--model DIR | --no-model] [--misses [--i-am-not-tuning]]
       Benchmarks/recall/run.py --check

Builds a fresh repository in a temporary directory, records every memory of memories.txt
through the real binary, superseded versions and near-duplicate distractors included, then
asks each target's queries with `recall --json --limit 5`. The queries live apart from the
memories, in two files split by target memory (split_of() below): queries-tuning.txt, which
whoever tunes the ranker may read, and queries-heldout.txt, written before any tuning, which
they must not. Each target has five queries: an identifier, keywords, a question in the
memory's own words, a question asked without them (at most one content word shared with the
memory) and a paraphrase (no content word shared). Prints recall@5 and MRR (mean reciprocal
rank, 0 beyond 5) per query kind and split as a Markdown table. Deterministic: fixed actor and
clock; the environment is the sandbox's, plus CODEX_STATE_SEMANTIC_* from the caller
(--model and --no-model set or clear CODEX_STATE_SEMANTIC_MODEL).

--check validates the query files without running the binary: every target has exactly one
block, in the file of its split, with all five kinds, and the word-overlap rules hold.
--misses lists the queries that missed, with what came first instead: tuning split only,
unless --i-am-not-tuning (then held-out misses too).
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SPLITS = ("tuning", "heldout")
QUERY_FILES = {s: os.path.join(HERE, f"queries-{s}.txt") for s in SPLITS}
# (tag, name, max content words shared with the memory's text, rationale and paths; None: any)
KINDS = (
    ("I", "identifier", None),
    ("Q", "keyword", None),
    ("?", "worded question", None),
    ("A", "question", 1),
    ("~", "paraphrase", 0),
)
STOPWORDS = set("""
a an the and or but nor if then else so than as of to in on at by for with without from into
onto out off over under up down about after before again once while until during between
through against per via is are was were be been being am do does did done doing have has had
having i me my mine we us our ours you your yours he him his she her hers it its they them
their theirs this that these those what which who whom whose when where why how there here
not no can could should would will shall may might must just only also all any both each few
more most other some such own same too very s t d ll m re ve don doesn didn isn aren wasn
weren won wouldn shouldn couldn hasn haven hadn cannot let lets get gets got
""".split())


def split_of(text):
    """The split of a target memory, from its text alone: SHA-256 even → tuning, odd → held-out."""
    return SPLITS[int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % 2]


def stems(word):
    """A word's forms after simple stemming (strip s/es/ed/ing; ies → y), so 'cached',
    'caches' and 'caching' share 'cache'. Two words are the same content word when their
    forms meet; over-matching only makes the overlap rules stricter."""
    forms = {word}
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("d", ""), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) + len(repl) >= 3:
            forms.add(word[: len(word) - len(suffix)] + repl)
    return forms


def content_words(text):
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS]


def shared_words(query, memory_words):
    """The query's content words that are (up to stemming) among the memory's."""
    forms = set().union(*(stems(w) for w in memory_words)) if memory_words else set()
    return sorted({w for w in content_words(query) if stems(w) & forms})


def parse_blocks(path):
    """Blank-line separated blocks of 'TAG value' lines; '#' lines are comments. Each block
    is a list of (tag, value, line number)."""
    blocks, block = [], []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if block:
                    blocks.append(block)
                block = []
                continue
            tag, _, value = line.partition(" ")
            if not value.strip():
                sys.exit(f"{path}:{number}: '{line}' has no value")
            block.append((tag, value, number))
    if block:
        blocks.append(block)
    return blocks


def parse_memories(path):
    memories = []
    for block in parse_blocks(path):
        m = {"S": [], "N": [], "P": [], "line": block[0][2]}
        for tag, value, number in block:
            if tag in ("S", "N", "P"):
                m[tag].append(value)
            elif tag in ("K", "T", "W") and tag not in m:
                m[tag] = value
            else:
                sys.exit(f"{path}:{number}: unexpected '{tag}' in a memory block (K T W P S N)")
        for tag in ("K", "T"):
            if tag not in m:
                sys.exit(f"{path}:{m['line']}: memory block lacks '{tag}'")
        memories.append(m)
    texts = [m["T"] for m in memories]
    if len(set(texts)) != len(texts):
        sys.exit(f"{path}: two memories have the same text")
    return memories


def attach_queries(memories, splits, show_heldout):
    """Reads the query files of `splits` into each memory's 'queries' ({tag: query}), checks
    the files' shape and the word-overlap rules; returns the violations (one line each).
    Held-out queries are not printed unless show_heldout: a violation there names the file
    and line only."""
    by_text = {m["T"]: m for m in memories}
    problems = []
    for split in splits:
        path = QUERY_FILES[split]
        if not os.path.exists(path):
            sys.exit(f"{path}: missing")
        shown = split == "tuning" or show_heldout
        for block in parse_blocks(path):
            tag, text, number = block[0]
            where = f"{os.path.basename(path)}:{number}"
            if tag != "M":
                sys.exit(f"{where}: a query block starts with 'M <memory text>'")
            memory = by_text.get(text)
            if memory is None:
                sys.exit(f"{where}: no memory in memories.txt has this text")
            if split_of(text) != split:
                sys.exit(f"{where}: this memory belongs to the {split_of(text)} split")
            if "queries" in memory:
                sys.exit(f"{where}: a second block for the same memory")
            memory["queries"], memory["split"] = {}, split
            words = content_words(" ".join([memory["T"], memory.get("W", "")] + memory["P"]))
            for tag, query, number in block[1:]:
                where = f"{os.path.basename(path)}:{number}"
                kind = next((k for k in KINDS if k[0] == tag), None)
                if kind is None or tag in memory["queries"]:
                    sys.exit(f"{where}: unexpected '{tag}' (one each of I Q ? A ~)")
                memory["queries"][tag] = query
                limit = kind[2]
                shared = shared_words(query, words) if limit is not None else []
                if limit is not None and len(shared) > limit:
                    detail = f" `{query}` shares {', '.join(shared)}" if shown else " (details hidden)"
                    problems.append(f"{where}: {kind[1]} may share {limit} content word(s) with its memory;{detail}")
            missing = [k[0] for k in KINDS if k[0] not in memory["queries"]]
            if missing:
                sys.exit(f"{os.path.basename(path)}:{block[0][2]}: block lacks {' '.join(missing)}")
    for m in memories:
        if split_of(m["T"]) in splits and "queries" not in m:
            sys.exit(f"{QUERY_FILES[split_of(m['T'])]}: no block for memory “{m['T']}”")
    return problems


class Repo:
    def __init__(self, binary, root, extra_env):
        self.binary, self.root, self.minute = binary, root, 0
        home = os.path.join(root, "home")
        os.makedirs(home)
        self.env = {
            "PATH": "/usr/bin:/bin", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull, "CODEX_STATE_ACTOR": "bench", "LANG": "C.UTF-8", "TZ": "UTC",
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com",
            **extra_env,
        }
        self.notices = {}
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
        for line in r.stderr.splitlines():
            self.notices[line] = self.notices.get(line, 0) + 1
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


def score(ranks):
    n = len(ranks)
    return n, sum(1 for r in ranks if r) / n, sum(1 / r for r in ranks if r) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("tuning", "heldout", "all"), default="tuning",
                        help="which queries to ask (default: tuning)")
    parser.add_argument("--binary", default=os.path.join(HERE, "..", "..", ".build", "release", "codex-state"))
    parser.add_argument("--corpus", default=os.path.join(HERE, "memories.txt"))
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--model", metavar="DIR", help="set CODEX_STATE_SEMANTIC_MODEL=DIR for the binary")
    model.add_argument("--no-model", action="store_true", help="clear CODEX_STATE_SEMANTIC_MODEL")
    parser.add_argument("--misses", action="store_true", help="list the queries that missed (tuning split)")
    parser.add_argument("--i-am-not-tuning", action="store_true",
                        help="allow held-out misses and held-out checker details to be shown")
    parser.add_argument("--check", action="store_true", help="validate the query files only")
    args = parser.parse_args()
    if args.misses and args.split == "heldout" and not args.i_am_not_tuning:
        sys.exit("--misses shows the held-out queries, which whoever tunes the ranker must not read; "
                 "use --split tuning, or pass --i-am-not-tuning if you are not tuning")
    splits = SPLITS if args.split == "all" or args.check else (args.split,)

    memories = parse_memories(args.corpus)
    problems = attach_queries(memories, splits, args.i_am_not_tuning)
    if problems:
        sys.exit("\n".join(problems))
    if args.check:
        counts = {s: sum(1 for m in memories if m.get("split") == s) for s in SPLITS}
        print(f"ok: {len(memories)} memories ({counts['tuning']} tuning, {counts['heldout']} held-out), "
              f"{len(KINDS) * len(memories)} queries")
        return

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary}: not built (swift build -c release, or pass --binary)")
    extra_env = {k: v for k, v in os.environ.items() if k.startswith("CODEX_STATE_SEMANTIC")}
    if args.model:
        extra_env["CODEX_STATE_SEMANTIC_MODEL"] = os.path.abspath(args.model)
    elif args.no_model:
        extra_env.pop("CODEX_STATE_SEMANTIC_MODEL", None)

    with tempfile.TemporaryDirectory() as root:
        repo = Repo(binary, root, extra_env)
        for m in memories:
            old = None
            for s in m["S"]:
                old = repo.remember(m["K"], s, supersedes=old)
            m["id"] = repo.remember(m["K"], m["T"], m.get("W"), m["P"], old)
        # Near-duplicates come last: the newest memory must not win on recency alone.
        for m in memories:
            for n in m["N"]:
                repo.remember(m["K"], n)
        distractors = sum(len(m["S"]) + len(m["N"]) for m in memories)

        ranks = {(s, k[0]): [] for s in splits for k in KINDS}
        misses = []
        for m in memories:
            if m.get("split") not in splits:
                continue
            for tag, name, _ in KINDS:
                query = m["queries"][tag]
                out = json.loads(repo.cs("recall", "--json", "--limit", "5", "--", query))
                ids = [r["memory"]["id"] for r in out["results"]]
                rank = ids.index(m["id"]) + 1 if m["id"] in ids else None
                ranks[(m["split"], tag)].append(rank)
                if rank is None:
                    first = out["results"][0]["memory"]["text"] if out["results"] else "(nothing)"
                    misses.append((m["split"], name, query, m["T"], first))

    asked = sum(len(v) for v in ranks.values())
    print(f"{len(memories)} memories, {distractors} distractors (superseded or near-duplicate), "
          f"{asked} queries; model: {extra_env.get('CODEX_STATE_SEMANTIC_MODEL', 'none (lexical)')}\n")
    names = {"tuning": "tuning", "heldout": "held-out"}
    print("| queries | " + " | ".join(f"{names[s]} n | recall@5 | MRR" for s in splits) + " |")
    print("|---|" + "---|---|---|" * len(splits))
    for tag, name, _ in KINDS + (("*", "all", None),):
        cells = []
        for s in splits:
            rs = [r for k in KINDS for r in ranks[(s, k[0])]] if tag == "*" else ranks[(s, tag)]
            n, hit, mrr = score(rs)
            cells.append(f"{n} | {hit:.3f} | {mrr:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if repo.notices:
        print("\nThe binary said on stderr:")
        for line, count in repo.notices.items():
            print(f"  {line}  (×{count})")
    if args.misses:
        shown = [x for x in misses if x[0] == "tuning" or args.i_am_not_tuning]
        print(f"\nMissed ({len(shown)}{'' if len(shown) == len(misses) else ', held-out misses withheld'}):\n")
        for split, name, query, want, first in shown:
            print(f"- {names[split]} {name} `{query}` → wanted “{want}”; first: “{first}”")


if __name__ == "__main__":
    main()
