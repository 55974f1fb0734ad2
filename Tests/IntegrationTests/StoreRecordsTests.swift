import Foundation
import GRDB
import StateStore
import Testing

/// The clone's line-per-record files and the test world itself, held to the code review of
/// issue 8 (re-checked under issue 11).
@Suite struct StoreRecordsTests {
    /// The rewrite map, like the journal: a torn last line is skipped silently, the next append
    /// starts on a line of its own, and a bad line anywhere else is counted, by the hook that
    /// reads the map and by `check`.
    @Test func rewriteMapSkipsOnlyATornLastLineAndCountsTheRest() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        let map = repo + "/.git/codex-state/rewrites.jsonl"
        // A crash tore the last line of the map.
        try s.write(map, "{\"at\": \"2026-01-15T09:0")
        let clean = try s.cs("check", "--json", in: repo)
        #expect(!clean.stdout.contains("rewrite map"), "a torn last line alone is not reported: \(clean.stdout)")
        try s.write(repo + "/x", "1\n")
        let amend = try s.run("git", ["commit", "-q", "--amend", "-a", "--no-edit"], in: repo)
        #expect(amend.ok, "\(amend.stderr)")
        // The append started on a new line: the rewrite is in the map, the torn line is now
        // in the middle and counted.
        let text = try s.read(map)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2, "\(text)")
        #expect(
            lines.last?.hasPrefix("{\"at\":") == true && lines.last?.contains("\"kind\":\"amend\"") == true, "\(text)")
        #expect(amend.stderr.contains("skipped 1 line(s)"), "\(amend.stderr)")
        let check = try s.cs("check", "--json", in: repo)
        #expect(check.stdout.contains("1 line(s) of the rewrite map cannot be read"), "\(check.stdout)")
    }

    /// With a `codex-state` installed on the host's PATH (README's first command), the sandbox
    /// still finds only the binary under test, and every other tool of that folder.
    @Test func theSandboxPathHidesAnInstalledCodexState() throws {
        let s = try Sandbox()
        let installed = s.path("host-bin")
        try FileManager.default.createDirectory(atPath: installed, withIntermediateDirectories: true)
        try s.write(installed + "/codex-state", "#!/bin/sh\necho installed\n")
        chmod(installed + "/codex-state", 0o755)
        try s.write(installed + "/only-here", "#!/bin/sh\necho tool\n")
        chmod(installed + "/only-here", 0o755)
        let host = installed + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        try FileManager.default.createDirectory(atPath: s.path("shadow"), withIntermediateDirectories: true)
        s.env["PATH"] = try Sandbox.hermeticPath(root: s.path("shadow"), host: host)
        let r = try s.run("/bin/sh", ["-c", "command -v codex-state || echo none; only-here"], in: s.root)
        #expect(r.stdout == "none\ntool\n", "\(r.stdout) \(r.stderr)")
    }

    /// Every writer comes in through the one write path (Workspace.writeLock): `init` again and
    /// the session commands each finish the journal record a crash left
    /// pending before they write, as a mutation does, so the journal is whole before anything
    /// else reaches the disk.
    @Test func everyWriterFinishesACrashedWritesJournalFirst() throws {
        for command in [["init", "--no-hooks"], ["session", "start"], ["session", "end"]] {
            let s = try Sandbox()
            let repo = try s.repo()
            try s.ok("init", "--no-hooks", in: repo)
            if command == ["session", "end"] { try s.ok("session", "start", in: repo) }
            let crashed = try s.cs("task", "add", "lost?", in: repo, env: ["CODEX_STATE_FAULT": "after-state-write"])
            #expect(crashed.status == 137)
            let pending = repo + "/.git/codex-state/journal-pending.json"
            #expect(FileManager.default.fileExists(atPath: pending))
            let r = try s.run(Sandbox.binary, command, in: repo)
            #expect(r.ok, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("recovered the journal record"), "\(command): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: pending), "\(command)")
            let journal = try s.read(repo + "/.git/codex-state/journal.jsonl")
            #expect(journal.contains("task add lost?"), "\(command): \(journal)")
        }
    }

    /// The memory index, like the task index, is deleted only when it is damaged: one that
    /// another process holds (SQLITE_BUSY) is left alone, its file and its data kept.
    @Test func aBusyMemoryIndexIsNeverDeleted() throws {
        let s = try Sandbox()
        let path = s.path("memory.sqlite")
        do { try MemoryIndex(path: path).rebuild(committed: [:], private: [:], source: "kept") }
        let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64
        do {
            // Another process's connection holds the database (closed at the end of the block).
            let holder = try DatabaseQueue(path: path)
            try holder.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
                try db.execute(sql: "BEGIN EXCLUSIVE")
                try db.execute(sql: "DELETE FROM memory_meta WHERE key = 'nothing'")
                #expect(throws: StoreError.self) { _ = try MemoryIndex(path: path, busyTimeout: 0.1) }
                try db.execute(sql: "COMMIT")
            }
        }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64 == inode)
        #expect(try MemoryIndex(path: path).builtFrom() == "kept")
    }

    /// Files other processes may change at the same moment are changed under a lock: the
    /// merge driver's `.gitattributes` line under the worktree's, the hooks (shared by the
    /// clone's worktrees) under the clone-wide one. While another process holds it, nothing is
    /// written and the command says who holds what.
    @Test func sharedFilesAreChangedUnderALock() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try FileManager.default.createDirectory(
            atPath: repo + "/.git/codex-state", withIntermediateDirectories: true)
        let env = ["CODEX_STATE_LOCK_TIMEOUT": "0.3"]
        do {
            let held = try FileLock(path: repo + "/.git/codex-state/lock", timeout: 1)
            let r = try s.cs("merge-driver", "--install", in: repo, env: env)
            withExtendedLifetime(held) {}
            #expect(!r.ok)
            #expect(r.stderr.contains("held the lock"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: repo + "/.gitattributes"))
        }
        do {
            let held = try FileLock(path: repo + "/.git/codex-state/claim.lock", timeout: 1)
            let r = try s.cs("hooks", "install", in: repo, env: env)
            withExtendedLifetime(held) {}
            #expect(!r.ok)
            #expect(r.stderr.contains("held the lock"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: repo + "/.git/hooks/post-checkout"))
        }
        // Free, both go through.
        try s.ok("merge-driver", "--install", in: repo)
        try s.ok("hooks", "install", in: repo)
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/hooks/post-checkout"))
    }
}
