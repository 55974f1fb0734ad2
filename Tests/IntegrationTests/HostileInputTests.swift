import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile input and faults (issue 9): a committed file, an extreme option or a crash never
/// loses data, never takes the tool out of the repository, and never makes git wait.
@Suite struct HostileInputTests {
    struct World {
        let s: Sandbox
        let repo: String
        let a: String
        var file: String { repo + "/.codex-state/project_state.json" }
    }

    func world() throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        return World(s: s, repo: repo, a: a)
    }

    /// Expects failure with one stderr line holding every `mentions`, and an unchanged file.
    func refuses(
        _ w: World, _ args: [String], mentions: [String], env: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = w.s.bytes(w.file)
        let r = try w.s.run(Sandbox.binary, args, in: w.repo, env: env)
        #expect(r.status != 0, "\(args): exit 0, stdout \(r.stdout)", sourceLocation: sourceLocation)
        #expect(r.status < 128, "\(args): crashed (\(r.status)): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(
            r.stderr.split(separator: "\n").count == 1, "\(args): stderr \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(r.stderr.contains(m), "\(args): '\(m)' not in \(r.stderr)", sourceLocation: sourceLocation)
        }
        #expect(w.s.bytes(w.file) == before, "\(args) changed the state file", sourceLocation: sourceLocation)
    }

    // MARK: - 1. Duplicate task keys

    @Test func duplicateTaskKeyIsRefusedByReadsAndWritesNamingBothLines() throws {
        let w = try world()
        let b = try w.s.ok("task", "add", "B", in: w.repo)
        // What a text merge without the driver leaves: task B twice, the second copy edited.
        var text = try w.s.read(w.file)
        let start = try #require(text.range(of: "    \"\(b)\": {"))
        let end = try #require(text.range(of: "\n    }", range: start.upperBound..<text.endIndex))
        let block = String(text[start.lowerBound..<end.upperBound])
        let edited = block.replacingOccurrences(of: "\"title\": \"B\"", with: "\"title\": \"B edited\"")
        text.replaceSubrange(start.lowerBound..<end.upperBound, with: block + ",\n" + edited)
        try w.s.write(w.file, text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let duplicateLines = lines.indices.filter { lines[$0].hasPrefix("    \"\(b)\": {") }.map { "\($0 + 1)" }
        #expect(duplicateLines.count == 2)
        try w.s.run("rm", ["-f", w.repo + "/.git/codex-state/index.sqlite"], in: w.repo)
        for args in [["tasks"], ["task", "show", b], ["task", "add", "C"], ["complete", w.a], ["next"]] {
            try refuses(w, args, mentions: ["project_state.json", b, "twice"] + duplicateLines)
        }
        let check = try w.s.cs("check", "--json", in: w.repo)
        #expect(!check.ok)
        #expect(check.stdout.contains("CS020"))
    }

    // MARK: - 2. Times the tool cannot read back

    @Test func leasesAreBoundedAndEveryWrittenTimeReadsBack() throws {
        let w = try world()
        try refuses(w, ["next", "--claim", "--lease", "5000000000"], mentions: ["--lease", "43200"])
        try refuses(w, ["next", "--claim", "--lease", "9223372036854775807"], mentions: ["--lease"])
        try refuses(w, ["next", "--claim", "--lease", "0"], mentions: ["--lease"])
        // The last hour of year 9999: the claim ends at the last writable second, and both the
        // index and a fresh parse read it back.
        let late = ["CODEX_STATE_NOW": "9999-12-31T23:00:00Z"]
        let claim = try w.s.cs("next", "--claim", "--lease", "43200", in: w.repo, env: late)
        #expect(claim.ok, "\(claim.stderr)")
        #expect(try w.s.read(w.file).contains("9999-12-31T23:59:59Z"))
        try w.s.run("rm", ["-f", w.repo + "/.git/codex-state/index.sqlite"], in: w.repo)
        #expect(try w.s.cs("tasks", in: w.repo, env: late).ok)
        let add = try w.s.cs("task", "add", "after", in: w.repo, env: late)
        #expect(add.ok, "\(add.stderr)")
    }

    // MARK: - 3. Journal gap

    @Test func aCrashBetweenStateAndJournalIsRecoveredOnTheNextRun() throws {
        let w = try world()
        let crashed = try w.s.cs("task", "add", "lost?", in: w.repo, env: ["CODEX_STATE_FAULT": "after-state-write"])
        #expect(crashed.status == 137)
        #expect(try w.s.read(w.file).contains("lost?"))
        let log = try w.s.ok("log", "--json", in: w.repo)
        #expect(log.contains("task add lost?"), "the crashed write is missing from the log: \(log)")
        // Recovered once, not again by the next write.
        try w.s.ok("task", "add", "next", in: w.repo)
        let again = try w.s.ok("log", "--json", "-n", "100", in: w.repo)
        #expect(again.components(separatedBy: "task add lost?").count == 2)
        #expect(!FileManager.default.fileExists(atPath: w.repo + "/.git/codex-state/journal-pending.json"))
    }

    @Test func aCrashedWriteIsRecoveredByTheNextWrite() throws {
        let w = try world()
        _ = try w.s.cs("task", "add", "first", in: w.repo, env: ["CODEX_STATE_FAULT": "after-state-write"])
        try w.s.ok("task", "add", "second", in: w.repo)
        let log = try w.s.ok("log", in: w.repo)
        #expect(log.contains("task add first"))
        #expect(log.contains("task add second"))
    }

    // MARK: - 4. Committed symlinks

    @Test func aStateDirectoryLinkedOutOfTheTreeIsNeverFollowed() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let outside = s.path("outside")
        try s.write(outside + "/stray", "keep me\n")
        try FileManager.default.createSymbolicLink(atPath: repo + "/.codex-state", withDestinationPath: outside)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "link", in: repo)
        for args in [["init"], ["task", "add", "x"], ["session", "end"], ["tasks"]] {
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(!r.ok, "\(args) succeeded")
            #expect(r.stderr.contains(".codex-state is a symbolic link"), "\(args): \(r.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: outside)
        #expect(left == ["stray"])
        #expect(try s.read(outside + "/stray") == "keep me\n")
    }

    @Test func aLinkedGitattributesIsNotCopiedIntoTheRepository() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.write(s.path("secret"), "private key material\n")
        try FileManager.default.createSymbolicLink(
            atPath: repo + "/.gitattributes", withDestinationPath: s.path("secret"))
        let r = try s.run(Sandbox.binary, ["init", "--no-hooks"], in: repo)
        #expect(!r.ok)
        #expect(r.stderr.contains(".gitattributes is a symbolic link"), "\(r.stderr)")
        let st = try FileManager.default.attributesOfItem(atPath: repo + "/.gitattributes")
        #expect(st[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(try s.read(s.path("secret")) == "private key material\n")
    }

    @Test func stateAndSessionFilesLinkedToDevicesAreRefusedNotRead() throws {
        let w = try world()
        try w.s.ok("session", "start", in: w.repo)
        try w.s.ok("session", "end", in: w.repo)
        let sessions = w.repo + "/.codex-state/sessions"
        let session = try #require(
            try FileManager.default.contentsOfDirectory(atPath: sessions).first { $0.hasSuffix(".json") })
        try FileManager.default.removeItem(atPath: sessions + "/" + session)
        try FileManager.default.createSymbolicLink(atPath: sessions + "/" + session, withDestinationPath: "/dev/zero")
        let list = try w.s.cs("session", "show", session, in: w.repo)
        #expect(!list.ok)
        #expect(list.stderr.contains("symbolic link"), "\(list.stderr)")
        try FileManager.default.removeItem(atPath: w.file)
        try FileManager.default.createSymbolicLink(atPath: w.file, withDestinationPath: "/dev/zero")
        for args in [["tasks"], ["task", "add", "x"], ["preamble"]] {
            let r = try w.s.run(Sandbox.binary, args, in: w.repo)
            #expect(!r.ok, "\(args) succeeded")
            #expect(r.status < 128, "\(args) crashed: \(r.status)")
            #expect(r.stderr.contains("project_state.json is a symbolic link"), "\(args): \(r.stderr)")
        }
        let hook = try w.s.run(Sandbox.binary, ["hook", "post-checkout", "0", "0", "1"], in: w.repo)
        #expect(hook.ok)
        #expect(hook.stderr.contains("symbolic link"), "\(hook.stderr)")
    }
}

/// Git never waits on codex-state (issue 9, items 7-10).
@Suite struct GitNeverWaitsTests {
    /// Hooks installed, the state committed, one task done at HEAD.
    func world() throws -> (Sandbox, String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        return (s, repo)
    }

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    @Test func hooksCapAnExportedLockTimeout() throws {
        let (s, repo) = try world()
        // A completion at HEAD: the amend's post-rewrite hook has an anchor to re-point, under
        // the lock (one with nothing to re-point takes no lock).
        let a = try s.ok("task", "add", "A", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let fd = open(repo + "/.git/codex-state/lock", O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        var r = Run(status: 0, stdout: "", stderr: "")
        let took = try seconds {
            r = try s.run(
                "git", ["commit", "-q", "--amend", "-m", "amended"], in: repo, env: ["CODEX_STATE_LOCK_TIMEOUT": "60"])
        }
        #expect(r.ok)
        #expect(r.stderr.contains("held the lock for 2.0 s"), "\(r.stderr)")
        #expect(took < 30, "git commit --amend waited \(took) s")
    }

    @Test func hooksSkipAnIndexAnotherProcessIsWriting() throws {
        let (s, repo) = try world()
        try s.ok("tasks", in: repo)  // the index exists
        let index = repo + "/.git/codex-state/index.sqlite"
        // Another connection holds a write transaction on the index for as long as the hook runs.
        let inode = try FileManager.default.attributesOfItem(atPath: index)[.systemFileNumber] as? UInt64
        let holder = try DatabaseQueue(path: index)
        var r = Run(status: 0, stdout: "", stderr: "")
        var took = 0.0
        try holder.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            took = try seconds { r = try s.run("git", ["checkout", "-q", "-b", "other"], in: repo) }
            try db.execute(sql: "ROLLBACK")
        }
        #expect(r.ok)
        #expect(r.stderr.contains("0 in progress"), "\(r.stderr)")
        #expect(took < 5, "git checkout waited \(took) s behind the index: \(r.stderr)")
        // A busy index belongs to a live process: it is skipped, never deleted (issue 8).
        #expect(try FileManager.default.attributesOfItem(atPath: index)[.systemFileNumber] as? UInt64 == inode)
    }

    @Test func theShimStopsAHungBinaryAndSaysSoOnce() throws {
        let (s, repo) = try world()
        let hung = s.path("hung-codex-state")
        try s.write(hung, "#!/bin/sh\nexec sleep 600\n")
        chmod(hung, 0o755)
        var r = Run(status: 0, stdout: "", stderr: "")
        let took = try seconds {
            r = try s.run(
                "git", ["checkout", "-q", "-b", "other"], in: repo,
                env: ["CODEX_STATE_BIN": hung, "CODEX_STATE_HOOK_TIMEOUT": "1"])
        }
        #expect(r.ok)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("stopped codex-state after 1 s") }
        #expect(warnings.count == 1, "\(r.stderr)")
        #expect(took < 60, "git checkout took \(took) s")
    }

    @Test func hooksInstallClearsTemporariesAKilledInstallLeft() throws {
        let (s, repo) = try world()
        let stale = repo + "/.git/hooks/.post-checkout.tmp.999999"
        try s.write(stale, "half a shim")
        try s.ok("hooks", "install", in: repo)
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}

/// Text from the state file, sessions and the journal never reaches a terminal raw (items 5, 6).
@Suite struct TerminalInjectionTests {
    static let escape = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}"

    @Test func textOutputIsCleanAndJSONIsExact() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let evil = Self.escape + "x\nt-0000000000  FORGED ROW"
        let env = ["CODEX_STATE_ACTOR": "mallory" + evil]
        let add = try s.cs("task", "add", "T", "--label", "l" + evil, "--body", "b" + evil, in: repo, env: env)
        #expect(add.ok, "\(add.stderr)")
        let id = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.ok("task", "edit", id, "--note", "n" + evil, in: repo)
        #expect(try s.cs("task", "start", id, in: repo, env: env).ok)
        #expect(try s.cs("session", "start", "--summary", "s" + evil, in: repo, env: env).ok)
        #expect(try s.cs("session", "end", in: repo, env: env).ok)
        let session = try #require(
            try FileManager.default.contentsOfDirectory(atPath: repo + "/.codex-state/sessions").first {
                $0.hasSuffix(".json")
            })
        for args in [
            ["tasks"], ["tasks", "--tree"], ["task", "show", id], ["log"], ["session", "show", session],
            ["session", "list"], ["next"],
        ] {
            let out = try s.run(Sandbox.binary, args, in: repo)
            let text = out.stdout + out.stderr
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(args): control code in \(text)")
            #expect(!text.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
            #expect(!text.contains("\nt-0000000000  FORGED"), "\(args): forged row in \(text)")
        }
        let json = try s.ok("task", "show", id, "--json", in: repo)
        let task = try #require(s.json(json)["task"] as? [String: Any])
        #expect(task["body"] as? String == "b" + evil)
        #expect((task["labels"] as? [String]) == ["l" + evil])
    }

    @Test func malformedIdsAreRefusedOnReadAndByCheck() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let id = try s.ok("task", "add", "T", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let bad = "t-\u{1B}[31mzz"
        let escaped = String(data: try JSONEncoder().encode(bad), encoding: .utf8) ?? ""
        try s.write(file, try s.read(file).replacingOccurrences(of: "\"\(id)\"", with: escaped))
        let before = s.bytes(file)
        for args in [["tasks"], ["task", "add", "x"]] {
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(r.status == 1)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains("project_state.json"))
            #expect(r.stderr.contains("is not a task id"), "\(r.stderr)")
            #expect(!r.stderr.unicodeScalars.contains { $0.value == 0x1B })
        }
        #expect(s.bytes(file) == before)
        let check = try s.cs("check", in: repo)
        #expect(check.status == 1)
        #expect(check.stdout.contains("CS004"), "\(check.stdout)")
        #expect(!check.stdout.unicodeScalars.contains { $0.value == 0x1B })
    }
}

/// Git edge cases (items 11-14).
@Suite struct GitEdgeCaseTests {
    @Test func shallowClonesReadCompletionsBeyondTheBoundaryAsDoneUnknown() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let old = try s.ok("task", "add", "Old work", in: repo)
        let recent = try s.ok("task", "add", "Recent work", in: repo)
        let uncommitted = try s.ok("task", "add", "Anchored by the state commit", in: repo)
        // Completions that name their commits (`--commit`): the commits are what a shallow clone lacks.
        try s.commit("f", "1\n", "old work", in: repo)
        try s.ok("complete", old, "--commit", "HEAD", in: repo)
        for i in 2...5 { try s.commit("f", "\(i)\n", "c\(i)", in: repo) }
        try s.ok("complete", recent, "--commit", "HEAD", in: repo)
        try s.ok("complete", uncommitted, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        for depth in [1, 2, 6] {
            let clone = s.path("clone-\(depth)")
            try s.git("clone", "-q", "--depth", "\(depth)", "file://" + repo, clone, in: s.root)
            let tasks = try s.tasks(in: clone)
            // `recent` was completed at the commit below the tip, `old` four below that; the
            // third is anchored by the commit that introduces its record (walked within the clone).
            #expect(
                tasks[recent]?["effective_status"] as? String == (depth == 1 ? "done_unknown" : "done"),
                "depth \(depth)")
            #expect(
                tasks[old]?["effective_status"] as? String == (depth == 6 ? "done" : "done_unknown"), "depth \(depth)")
            #expect(tasks[uncommitted]?["effective_status"] as? String == "done", "depth \(depth)")
            let commands: [[String]] = [
                ["tasks"], ["next"], ["task", "show", old], ["task", "show", uncommitted], ["preamble"],
                ["preamble", "--format", "codex-hook"],
            ]
            for args in commands {
                let r = try s.run(Sandbox.binary, args, in: clone)
                #expect(r.ok, "depth \(depth) \(args): \(r.stderr)")
            }
        }
    }

    @Test func gitDirAndGitWorkTreeAreHonoured() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let env = ["GIT_DIR": repo + "/.git", "GIT_WORK_TREE": repo]
        let initR = try s.run(Sandbox.binary, ["init", "--no-hooks"], in: s.root, env: env)
        #expect(initR.ok, "\(initR.stderr)")
        #expect(FileManager.default.fileExists(atPath: repo + "/.codex-state/project_state.json"))
        let add = try s.run(Sandbox.binary, ["task", "add", "Via GIT_DIR"], in: s.root, env: env)
        #expect(add.ok, "\(add.stderr)")
        // GIT_DIR alone: the current directory is the top of the work tree, as for git.
        let list = try s.run(Sandbox.binary, ["tasks"], in: repo, env: ["GIT_DIR": ".git"])
        #expect(list.ok, "\(list.stderr)")
        #expect(list.stdout.contains("Via GIT_DIR"))
    }

    @Test func aBareRepositoryHasNoPreambleAndAnEmptyLog() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.git("clone", "-q", "--bare", repo, s.path("bare.git"), in: s.root)
        let preamble = try s.cs("preamble", "--if-initialized", in: s.path("bare.git"))
        #expect(preamble.ok, "\(preamble.stderr)")
        #expect(preamble.stdout.isEmpty && preamble.stderr.isEmpty)
        let log = try s.cs("log", "--json", in: s.path("bare.git"))
        #expect(log.ok, "\(log.stderr)")
        #expect(log.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func readsSayWhenTheStateFileIsUnmerged() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        try s.git("checkout", "-q", "-b", "other", in: repo)
        try s.ok("task", "add", "Theirs", in: repo)
        try s.git("commit", "-q", "-am", "theirs", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.ok("task", "add", "Ours", in: repo)
        try s.git("commit", "-q", "-am", "ours", in: repo)
        try s.git("config", "merge.codex-state.driver", "false", in: repo)
        #expect(try !s.run("git", ["merge", "-q", "other"], in: repo).ok)
        for args in [["tasks"], ["next"]] {
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(r.ok)
            #expect(
                r.stderr.contains("project_state.json is unmerged: this shows our side only"), "\(args): \(r.stderr)")
        }
    }

    @Test func messagesNameTheFieldAndWhatWasExpected() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let id = try s.ok("task", "add", "T", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let good = try s.read(file)
        let cases: [(String, String, [String])] = [
            ("\"priority\": 2", "\"priority\": 1.5", ["tasks.\(id).priority", "expected an integer", "found 1.5"]),
            ("\"schema\": 1", "\"schema\": \"1\"", ["schema", "expected the integer 1", "found \"1\""]),
            ("\"schema\": 1", "\"schema\": 10000000000000000000000000", ["schema", "expected the integer 1"]),
        ]
        for (from, to, mentions) in cases {
            try s.write(file, good.replacingOccurrences(of: from, with: to))
            let r = try s.cs("tasks", in: repo)
            #expect(r.status == 1)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            for m in mentions { #expect(r.stderr.contains(m), "\(to): '\(m)' not in \(r.stderr)") }
            #expect(!r.stderr.contains("not valid JSON"))
        }
        try s.write(file, good)
        let negative = try s.cs("task", "add", "x", "--priority", "-1", in: repo)
        #expect(negative.status != 0)
        #expect(negative.stderr.contains("--priority must be 0 (most urgent) to 4, not -1"), "\(negative.stderr)")
    }

    @Test func treeShowsTasksInAParentCycleMarked() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let b = try s.ok("task", "add", "B", "--parent", a, in: repo)
        let c = try s.ok("task", "add", "C", "--parent", b, in: repo)
        let file = repo + "/.codex-state/project_state.json"
        // A hand edit closes the loop: A's parent is B.
        var text = try s.read(file)
        let start = try #require(text.range(of: "\"\(a)\": {"))
        text.replaceSubrange(start, with: "\"\(a)\": {\n      \"parent\": \"\(b)\",")
        try s.write(file, text)
        let out = try s.ok("tasks", "--tree", in: repo)
        for id in [a, b, c] { #expect(out.contains(id), "\(id) missing from \(out)") }
        let marked = out.split(separator: "\n").filter { $0.hasSuffix("!parent-cycle") }
        #expect(marked.count == 2, "\(out)")
    }
}

/// Errors are never swallowed where data is at stake (issue 8).
@Suite struct ErrorsNotSwallowedTests {
    @Test func journalSkipsOnlyATornLastLineAndCountsTheRest() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let journal = repo + "/.git/codex-state/journal.jsonl"
        // A crash tore the last line: the next append starts on a line of its own.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"at\": \"2026-01-15T09:0".utf8))
        try handle.close()
        try s.ok("task", "add", "After the crash", in: repo)
        let log = try s.cs("log", in: repo)
        #expect(log.ok)
        #expect(log.stdout.contains("task add \"After the crash\""), "\(log.stdout)")
        #expect(log.stderr.contains("skipped 1 line"), "the torn line is now in the middle: \(log.stderr)")
        let check = try s.cs("check", "--json", in: repo)
        #expect(check.stdout.contains("CS063"), "\(check.stdout)")
        // A torn last line alone is not reported.
        try s.write(
            journal,
            (try s.read(journal)).components(separatedBy: "\n").filter {
                !$0.hasPrefix("{\"at\": \"2026-01-15T09:0\n") && $0.hasPrefix("{\"actor")
            }.joined(separator: "\n") + "\n{\"torn")
        let clean = try s.cs("log", in: repo)
        #expect(clean.ok)
        #expect(!clean.stderr.contains("skipped"), "\(clean.stderr)")
    }

    @Test func anUnreadableGitIndexRefusesWritesDuringAMerge() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let before = s.bytes(file)
        // A merge is in progress and git's index cannot be read: the unmerged-file guard cannot
        // tell, so it refuses.
        try s.write(repo + "/.git/MERGE_HEAD", try s.git("rev-parse", "HEAD", in: repo) + "\n")
        try s.write(repo + "/.git/index", "not an index")
        let r = try s.cs("task", "add", "x", in: repo)
        #expect(!r.ok)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(s.bytes(file) == before)
    }
}
