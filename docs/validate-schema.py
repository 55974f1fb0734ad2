#!/usr/bin/env python3
"""Validate codex-state state files against docs/state.schema.json, and session files against
docs/session.schema.json.

Usage: validate-schema.py [--canonical] [--schema PATH] [--session-schema PATH] FILE...

A file whose object has "closed_by" is a session file (.codex-state/sessions/*.json): it must match
the session schema and list its files sorted. Checks, for each state file:
  - it parses as JSON and matches the schema (draft 2020-12);
  - every entity's map key equals its "id" (the codex-state decoder requires this);
  - "deps" and "labels" are sorted (codex-state always writes them sorted), as are a memory's
    "tasks", "paths" and "supersedes"; a memory's text matches its "hash";
  - timestamps and "due" dates name days that exist (2026-02-31 is refused, as codex-state
    refuses it);
  - the limits codex-state enforces: no string longer than 64 KiB or holding U+0000, no state
    file larger than 64 MiB (docs/threat-model.md);
  - with --canonical: the bytes are exactly the canonical form codex-state writes
    (sorted keys, two-space indent, "key": value, UTF-8 unescaped, trailing newline).

Prints one line per problem on stderr. Exit status: 0 all files valid, 1 a file is
invalid, 2 usage error, unreadable file or missing schema/jsonschema.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import sys


def fail_usage(message):
    print(f"validate-schema: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import jsonschema
except ImportError:
    fail_usage("the python package 'jsonschema' is required (pip install jsonschema)")


def json_path(parts):
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def canonical_bytes(document):
    # Matches StateModel.CanonicalJSON for the keys codex-state writes (ASCII): sorted keys,
    # two-space indent, "," then newline between items, ": " after keys, non-ASCII unescaped.
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# Keys holding a timestamp or a date. The schema's patterns check their shape (and report a wrong
# one); this checks that a well-shaped date names a day that exists, e.g. not 2026-02-31.
DATE_KEYS = ("at", "expires", "due")
DAY_SHAPE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


def calendar_problems(value, parts=()):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in DATE_KEYS and isinstance(item, str):
                if DAY_SHAPE.match(item):
                    try:
                        datetime.date.fromisoformat(item[:10])
                    except ValueError:
                        yield f"{json_path(parts + (key,))}: {item!r} names a day that does not exist"
            else:
                yield from calendar_problems(item, parts + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from calendar_problems(item, parts + (i,))


# The limits codex-state enforces on what it stores (Sources/StateModel/Limits.swift).
FIELD_BYTES = 64 * 1024
STATE_FILE_BYTES = 64 * 1024 * 1024


def string_problems(value, parts=()):
    if isinstance(value, str):
        if len(value.encode("utf-8")) > FIELD_BYTES:
            yield f"{json_path(parts)}: longer than {FIELD_BYTES} bytes"
        if "\x00" in value:
            yield f"{json_path(parts)}: holds U+0000"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_problems(item, parts + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from string_problems(item, parts + (i,))


def memory_problems(key, memory):
    # Sorted lists, and the text still matching its hash (a hand edit breaks it; `codex-state
    # check` reports the same for constraints).
    for field in ("tasks", "paths", "commits", "supersedes"):
        items = memory.get(field)
        if isinstance(items, list) and all(isinstance(i, str) for i in items) and items != sorted(items):
            yield f"$.memories.{key}.{field}: not sorted"
    text, digest = memory.get("text"), memory.get("hash")
    if isinstance(text, str) and isinstance(digest, str):
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            yield f"$.memories.{key}.text: does not match its hash (edited by hand?)"


def session_problems(document, validator):
    problems = [f"{json_path(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    problems.extend(calendar_problems(document))
    problems.extend(string_problems(document))
    files = document.get("files")
    if isinstance(files, list) and all(isinstance(f, str) for f in files) and files != sorted(files):
        problems.append("$.files: not sorted")
    return problems


def check_file(path, validator, canonical, session_validator=None):
    problems = []
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail_usage(f"{path}: cannot read: {e.strerror}")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return [f"not valid JSON: {e}"]

    if isinstance(document, dict) and "closed_by" in document and session_validator is not None:
        return session_problems(document, session_validator)

    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        problems.append(f"{json_path(error.absolute_path)}: {error.message}")

    problems.extend(calendar_problems(document))
    problems.extend(string_problems(document))
    if len(raw) > STATE_FILE_BYTES:
        problems.append(f"larger than {STATE_FILE_BYTES} bytes")

    if isinstance(document, dict):
        for section in ("goals", "milestones", "tasks", "memories"):
            entities = document.get(section)
            if not isinstance(entities, dict):
                continue
            for key, entity in entities.items():
                if isinstance(entity, dict) and entity.get("id") != key:
                    problems.append(f"$.{section}.{key}.id: {entity.get('id')!r} does not match its key")
                if section == "memories" and isinstance(entity, dict):
                    problems.extend(memory_problems(key, entity))
                if section != "tasks" or not isinstance(entity, dict):
                    continue
                for field in ("deps", "labels"):
                    items = entity.get(field)
                    if isinstance(items, list) and all(isinstance(i, str) for i in items):
                        if items != sorted(items):
                            problems.append(f"$.tasks.{key}.{field}: not sorted")

    if canonical and not problems and raw != canonical_bytes(document):
        problems.append("not in canonical form (sorted keys, two-space indent, trailing newline)")
    return problems


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="Validate codex-state project_state.json files.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--schema", default=os.path.join(here, "state.schema.json"))
    parser.add_argument("--session-schema", default=os.path.join(here, "session.schema.json"))
    parser.add_argument("--canonical", action="store_true", help="also require the canonical byte form")
    args = parser.parse_args()

    try:
        with open(args.schema, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail_usage(f"{args.schema}: cannot load schema: {e}")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    try:
        with open(args.session_schema, encoding="utf-8") as f:
            session_schema = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail_usage(f"{args.session_schema}: cannot load schema: {e}")
    jsonschema.Draft202012Validator.check_schema(session_schema)
    session_validator = jsonschema.Draft202012Validator(session_schema)

    invalid = False
    for path in args.files:
        problems = check_file(path, validator, args.canonical, session_validator)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        invalid = invalid or bool(problems)
    sys.exit(1 if invalid else 0)


if __name__ == "__main__":
    main()
