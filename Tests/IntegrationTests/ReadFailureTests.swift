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
}
