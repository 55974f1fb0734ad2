import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 17, item 4: no error becomes a fact. Each cache of an answer from git is tested with a
/// read that fails (a git object moved away, an unreadable rewrite map) and then succeeds: the
/// failure is said, never remembered. Issue 19, item 6: a busy index never stalls a read.
@Suite struct ReadFailureTests {
    /// A repository with `.codex-state/` committed on main holding one task.
    func world(_ s: Sandbox) throws -> (repo: String, a: String) {
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Build the parser", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        return (repo, a)
    }

    /// Moves a loose git object away; the returned closure puts it back.
    func hide(_ s: Sandbox, object sha: String, in repo: String) throws -> () throws -> Void {
        let path = repo + "/.git/objects/" + sha.prefix(2) + "/" + sha.dropFirst(2)
        #expect(FileManager.default.fileExists(atPath: path), "\(sha) is not a loose object")
        let aside = s.path("aside-" + sha)
        try FileManager.default.moveItem(atPath: path, toPath: aside)
        return { try FileManager.default.moveItem(atPath: aside, toPath: path) }
    }

    /// "Any libgit2 error while reading a branch tip is cached for good as 'this tip has no state
    /// file' (Workspace/Copies.swift)."
    @Test func aBranchTipThatCannotBeReadIsNotRememberedAsHavingNoState() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "done: parser", in: repo)
        let tree = try s.git("rev-parse", "feature^{tree}", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let restore = try hide(s, object: tree, in: repo)
        let failing = try s.cs("tasks", "--all", "--json", in: repo)
        #expect(failing.ok, "\(failing.stderr)")
        #expect(failing.stderr.contains("feature"), "the unreadable copy is named: \(failing.stderr)")
        try restore()
        let listed = try s.tasks(in: repo)[a]
        #expect(listed?["effective_status"] as? String == "done_elsewhere")
        #expect((listed?["elsewhere"] as? [String: Any])?["place"] as? String == "feature")
        let again = try s.cs("tasks", in: repo)
        #expect(!again.stderr.contains("warning"), "\(again.stderr)")
    }

    /// A copy's content that cannot be read from git (its blob missing now) is a problem of the
    /// read, not of the content: not kept with the copy's facts.
    @Test func aCopyThatCannotBeReadIsNotRememberedAsBroken() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "done: parser", in: repo)
        let blob = try s.git("rev-parse", "feature:.codex-state/project_state.json", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let restore = try hide(s, object: blob, in: repo)
        let failing = try s.cs("tasks", "--all", "--json", in: repo)
        #expect(failing.stderr.contains("feature"), "\(failing.stderr)")
        try restore()
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
        #expect(!(try s.cs("check", "--json", in: repo).stdout.contains("CS070")), "the copy is readable again")
    }

    /// Which branch contains a completion is cached per (tip, commit): a walk that failed is not.
    @Test func aContainingBranchThatCouldNotBeAskedIsAskedAgain() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "done: parser", in: repo)
        try s.git("branch", "release", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        // Recorded on feature, which goes: release holds the work now.
        try s.git("branch", "-q", "-D", "feature", in: repo)
        let failing = try s.cs("tasks", "--all", "--json", in: repo, env: ["CODEX_STATE_FAULT": "containing-branches"])
        #expect(failing.stderr.contains("warning"), "\(failing.stderr)")
        let place = (try s.tasks(in: repo)[a]?["elsewhere"] as? [String: Any])?["place"] as? String
        #expect(place == "release", "\(place ?? "none")")
    }

    /// "When `check`'s encode or parse fails, its format and unknown-field findings come back
    /// empty without a word": a check that could not run in full says so (CS090), and fails
    /// under `--strict`; run again with git answering, it is clean.
    @Test func aCheckThatCouldNotRunInFullSaysSoAndFailsStrict() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "done: parser", in: repo)
        try s.git("branch", "release", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("branch", "-q", "-D", "feature", in: repo)
        let fault = ["CODEX_STATE_FAULT": "containing-branches"]
        let json = try s.cs("check", "--json", in: repo, env: fault)
        #expect(json.stdout.contains("CS090"), "\(json.stdout)")
        let strict = try s.cs("check", "--strict", in: repo, env: fault)
        #expect(strict.status == 1, "\(strict.stdout)\(strict.stderr)")
        #expect(strict.stdout.contains("check-incomplete"), "\(strict.stdout)")
        let again = try s.cs("check", "--strict", in: repo)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(!again.stdout.contains("CS090"), "\(again.stdout)")
    }

    /// The commit that introduced a completion on a branch is cached for good: a walk that failed
    /// is not.
    @Test func anAnchorWalkThatFailedIsWalkedAgain() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.write(repo + "/parser.c", "int parse;\n")
        try s.ok("complete", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "parser, done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let failing = try s.cs("tasks", "--all", "--json", in: repo, env: ["CODEX_STATE_FAULT": "anchor-walk"])
        #expect(failing.stderr.contains("warning"), "\(failing.stderr)")
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
    }

    /// Another worktree's file that cannot be read now is said, and read again.
    @Test func anotherWorktreesFileThatCannotBeReadIsReadAgain() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        try s.ok("task", "start", a, in: wt)
        let failing = try s.cs("tasks", "--all", "--json", in: repo, env: ["CODEX_STATE_FAULT": "worktree-state"])
        #expect(failing.stderr.contains("worktree wt"), "\(failing.stderr)")
        #expect(try s.effective(a, in: repo) == "in_progress")
    }

    /// "… trailer evidence per HEAD the same way."
    @Test func recentCommitsThatCannotBeReadAreNotRememberedAsNamingNoTask() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.commit("parser.c", "int parse;\n", "Write the parser\n\nCodex-Task: \(a)", in: repo)
        // The walk over HEAD's newest commits fails once, as a transient error would.
        let failing = try s.cs("tasks", "--json", in: repo, env: ["CODEX_STATE_FAULT": "trailer-window"])
        #expect(failing.stderr.contains("warning"), "the failed read is said: \(failing.stderr)")
        let listed = try s.tasks(in: repo)[a]
        #expect(listed?["effective_status"] as? String == "in_progress", "\(listed ?? [:])")
        #expect(try s.ok("tasks", in: repo).contains("in_progress@commit"))
    }

    /// "An unreadable rewrite map is dropped silently."
    @Test func anUnreadableRewriteMapIsSaidAndNotRemembered() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        let old = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("complete", a, "--commit", old, in: repo)
        try s.git("add", "-A", in: repo)
        try s.write(repo + "/parser.c", "int parse(void);\n")
        try s.git("commit", "-q", "-a", "--amend", "--no-edit", in: repo)
        let new = try s.git("rev-parse", "HEAD", in: repo)
        // No hook ran: the clone's map records the amend (as post-rewrite would have), but it
        // cannot be read at first.
        let map = repo + "/.git/codex-state/rewrites.jsonl"
        try FileManager.default.createDirectory(atPath: map, withIntermediateDirectories: true)
        let failing = try s.cs("tasks", "--all", "--json", in: repo)
        #expect(failing.stderr.contains("rewrites.jsonl"), "\(failing.stderr)")
        try FileManager.default.removeItem(atPath: map)
        try s.write(map, "{\"at\":\"2026-01-15T09:00:00Z\",\"kind\":\"amend\",\"new\":\"\(new)\",\"old\":\"\(old)\"}\n")
        let listed = try s.tasks(in: repo)[a]
        #expect(listed?["effective_status"] as? String == "done")
        #expect((listed?["recovered"] as? [String: Any])?["method"] as? String == "rewrite")
    }

    /// "`FETCH_HEAD` is read from the common git dir; a fetch in a linked worktree writes it under
    /// that worktree's own git dir, so cached answers there can miss the fetch."
    @Test func aFetchInALinkedWorktreeIsSeenThere() throws {
        let s = try Sandbox()
        let origin = try s.repo("origin")
        try s.git("checkout", "-q", "-b", "other", in: origin)
        try s.commit("x", "x\n", "the finishing commit", in: origin)
        let x = try s.git("rev-parse", "HEAD", in: origin)
        try s.git("checkout", "-q", "main", in: origin)
        let clone = s.path("clone")
        // Through the transport (not a local copy of every object): the clone lacks `other`.
        try s.git("clone", "-q", "--no-local", "--single-branch", "--branch", "main", origin, clone, in: s.root)
        try s.ok("init", "--no-hooks", in: clone)
        let a = try s.ok("task", "add", "Finished in another clone", in: clone)
        try s.ok("complete", a, "--commit", "HEAD", in: clone)
        let file = clone + "/.codex-state/project_state.json"
        let head = try s.git("rev-parse", "HEAD", in: clone)
        try s.write(file, try s.read(file).replacingOccurrences(of: head, with: x))
        try s.git("add", "-A", in: clone)
        try s.git("commit", "-q", "-m", "state", in: clone)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: clone)
        // Twice: whatever a read caches is cached before the fetch.
        #expect(try s.effective(a, in: wt) == "done_unknown")
        #expect(try s.effective(a, in: wt) == "done_unknown")
        // By URL: only FETCH_HEAD changes (no remote-tracking ref moves).
        try s.git("fetch", "-q", origin, "other", in: wt)
        #expect(FileManager.default.fileExists(atPath: clone + "/.git/worktrees/wt/FETCH_HEAD"))
        #expect(try s.effective(a, in: wt) == "done_elsewhere")
    }

    /// Issue 19, item 6: "with `index.sqlite` held 20 s, `tasks` took 19.7 s. Reads fall back to
    /// the file (or an in-memory index) after a short busy wait; hooks and hook-mode commands never
    /// wait more than the hook bound."
    @Test(arguments: ["EXCLUSIVE", "IMMEDIATE"])
    func aHeldIndexDoesNotStallReads(mode: String) throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        let b = try s.ok("task", "add", "Use the parser", "--dep", a, in: repo)
        let expected = (
            tasks: try s.ok("tasks", "--all", "--json", in: repo), next: try s.ok("next", "--json", in: repo),
            show: try s.ok("task", "show", b, "--json", in: repo),
            // The agent's start (Codex's SessionStart runs this).
            start: try s.ok("preamble", "--format", "codex-hook", in: repo)
        )
        let index = repo + "/.git/codex-state/index.sqlite"
        #expect(FileManager.default.fileExists(atPath: index))
        // Another process holds the index for 20 s: an exclusive lock (no reader gets in) or a
        // write transaction (readers may read, nobody may write).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let locking = mode == "EXCLUSIVE" ? "c.execute('PRAGMA locking_mode=EXCLUSIVE')\n" : ""
        holder.arguments = [
            "python3", "-c",
            "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)\n"
                + locking + "c.execute('BEGIN \(mode)')\nc.execute('SELECT COUNT(*) FROM meta').fetchall()\n"
                + "print('held', flush=True)\ntime.sleep(20)\n",
            index,
        ]
        let ready = Pipe()
        holder.standardOutput = ready
        try holder.run()
        defer {
            holder.terminate()
            holder.waitUntilExit()
        }
        let line = ready.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).contains("held"))
        func timed(_ args: [String], env: [String: String] = [:]) throws -> (Run, Double) {
            var start = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            let r = try s.run(Sandbox.binary, args, in: repo, env: env)
            var end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &end)
            return (r, Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9)
        }
        for (args, want) in [
            (["tasks", "--all", "--json"], expected.tasks), (["next", "--json"], expected.next),
            (["task", "show", b, "--json"], expected.show), (["preamble", "--format", "codex-hook"], expected.start),
        ] {
            let (r, seconds) = try timed(args)
            #expect(r.ok, "\(args): \(r.stderr)")
            #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == want, "\(args)")
            #expect(seconds < 5, "\(args) took \(seconds) s with the index held")
        }
        // A mutation goes through too (the state file is the truth; the index catches up).
        let (added, addSeconds) = try timed(["task", "add", "While held"])
        #expect(added.ok, "\(added.stderr)")
        #expect(addSeconds < 5, "task add took \(addSeconds) s with the index held")
        // A hook never waits longer than the hook bound.
        let (hook, hookSeconds) = try timed([
            "hook", "post-checkout", "0" + String(repeating: "0", count: 39), "HEAD", "1",
        ])
        #expect(hook.ok)
        #expect(hookSeconds < 2.5, "the hook took \(hookSeconds) s")
        holder.terminate()
        holder.waitUntilExit()
        let later = s.json(try s.ok("tasks", "--all", "--json", in: repo))
        #expect((later["tasks"] as? [[String: Any]])?.count == 3)
    }
}
