#!/usr/bin/env python3
"""Empties the render cache of a codex-state index (hyperfine --prepare step of run.sh).

    python3 Benchmarks/clear_rendered.py PATH/.git/codex-state/index.sqlite

Leaves everything else in the index alone, so the next `next`/`tasks` finds the index current
for the state file and HEAD but has to evaluate and render again: what the first read after
every change (a `complete`, a `task add`, a checkout) costs. Indexes without a render cache
(older builds) are left as they are.
"""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
try:
    db.execute("DELETE FROM rendered")
    db.commit()
except sqlite3.OperationalError:
    pass
db.close()
